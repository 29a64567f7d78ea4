"""ML module ``crypto``: hashes, HMACs, UUIDs and secure random values.

Hashing text and drawing secure random values are pure computations and need no
capability. ``hash_file`` reads a file, so it needs ``file.read`` on the file's canonical
path, checked and opened exactly as the ``file`` module does (a grant's ``max_bytes`` bounds
the file's size).
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
import os
import secrets
import string
import uuid as _uuid
from typing import Any

from mlpy.capabilities import require
from mlpy.ext import ml_function, ml_module
from mlpy.runtime.limits import check_length
from mlpy.runtime.values import typeof
from mlpy.stdlib._fs import host_error, target
from mlpy.stdlib._files import _check_size, _limit, _open_regular

_ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512",
               "sha3_256", "sha3_512", "blake2b", "blake2s")
_LETTERS = string.ascii_letters + string.digits
_BYTE_TO_LETTER = bytes(ord(_LETTERS[byte % 62]) if byte < 248 else 0 for byte in range(256))
_UNUSED_BYTES = bytes(range(248, 256))
_CHUNK = 1 << 20


def _data(value: Any, what: str = "data") -> bytes:
    """Bytes to hash: a string (as UTF-8) or a bytes value."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError(f"{what} must be a string or bytes, not {typeof(value)}")


def _algorithm(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"algorithm must be a string, not {typeof(name)}")
    key = name.lower().replace("-", "")
    if key not in _ALGORITHMS:
        raise ValueError(f"unknown hash algorithm {name!r}; use one of {', '.join(_ALGORITHMS)}")
    return key


def _count(n: Any, what: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an integer, not {typeof(n)}")
    if n < 0:
        raise ValueError(f"{what} must not be negative, got {n}")
    return n


def _random_letters(n: int) -> str:
    """n characters drawn uniformly from _LETTERS, a byte at a time in native code: a byte
    below 248 (4 x 62) picks a letter, a larger one is dropped."""
    letters = ""
    while len(letters) < n:
        letters += secrets.token_bytes(n - len(letters) + 16).translate(
            _BYTE_TO_LETTER, _UNUSED_BYTES).decode("ascii")
    return letters[:n]


def _digest(algorithm: str, data: Any, salt: Any) -> str:
    return hashlib.new(algorithm, _data(salt, "salt") + _data(data)).hexdigest()


def _mac(message: Any, key: Any, algorithm: Any) -> str:
    return _hmac.new(_data(key, "key"), _data(message, "message"),
                     _algorithm(algorithm)).hexdigest()


@ml_module("crypto", "Basic cryptographic operations (hashing, UUIDs, secure random)")
class Crypto:
    """Only ``hash_file`` touches the outside world (``file.read``)."""

    @ml_function("Lowercase hex SHA-256 digest of salt + data (a string as UTF-8, a bytes "
                 "value as it is)")
    def sha256(self, data, salt=""):
        return _digest("sha256", data, salt)

    @ml_function("Lowercase hex SHA-1 digest of salt + data, as sha256 (for checksums, not "
                 "security)")
    def sha1(self, data, salt=""):
        return _digest("sha1", data, salt)

    @ml_function("Lowercase hex MD5 digest of salt + data, as sha256 (for checksums, not "
                 "security)")
    def md5(self, data, salt=""):
        return _digest("md5", data, salt)

    @ml_function("Hex HMAC of a message under a key")
    def hmac(self, message, key, algorithm="sha256"):
        return _mac(message, key, algorithm)

    @ml_function("Whether a hex signature is the HMAC of the message (constant-time)")
    def verify_hmac(self, message, signature, key, algorithm="sha256"):
        if not isinstance(signature, str):
            raise TypeError(f"signature must be a string, not {typeof(signature)}")
        return _hmac.compare_digest(_mac(message, key, algorithm).encode(),
                                    signature.lower().encode("utf-8"))

    @ml_function("Whether two strings are equal, compared in constant time")
    def compare_hash(self, a, b):
        return _hmac.compare_digest(_data(a, "a"), _data(b, "b"))

    @ml_function("Hex digest of a file's bytes, read in chunks", capabilities=["file.read"])
    def hash_file(self, path, algorithm="sha256"):
        name = _algorithm(algorithm)
        where = target(path)
        grant = require("file.read", where.real, shown=where.shown)
        limit = _limit(read=grant)
        fd, status = _open_regular(where, os.O_RDONLY)
        digest, total = hashlib.new(name), 0
        try:
            _check_size(where, status.st_size, limit)
            while chunk := os.read(fd, _CHUNK):
                total += len(chunk)
                _check_size(where, total, limit)
                digest.update(chunk)
        except OSError as error:
            raise host_error(error, where.shown) from None
        finally:
            os.close(fd)
        return digest.hexdigest()

    @ml_function("A random UUID (version 4)")
    def uuid(self):
        return str(_uuid.uuid4())

    @ml_function("A name-based UUID (version 5) of data in a namespace UUID string (default: "
                 "the DNS namespace)")
    def uuid_from_string(self, data, namespace=None):
        if not isinstance(data, str):
            raise TypeError(f"data must be a string, not {typeof(data)}")
        if namespace is None:
            space = _uuid.NAMESPACE_DNS
        elif isinstance(namespace, str):
            try:
                space = _uuid.UUID(namespace)
            except ValueError:
                raise ValueError(f"namespace {namespace!r} is not a UUID") from None
        else:
            raise TypeError(f"namespace must be a UUID string, not {typeof(namespace)}")
        return str(_uuid.uuid5(space, data))

    @ml_function("n secure random bytes, as a bytes value")
    def random_bytes(self, n):
        n = _count(n)
        check_length(n, 1)
        return secrets.token_bytes(n)

    @ml_function("2n secure random hex characters")
    def random_hex(self, n):
        n = _count(n)
        check_length(2 * n, 1)
        return secrets.token_hex(n)

    @ml_function("n secure random characters from A-Z, a-z and 0-9")
    def random_string(self, n):
        n = _count(n)
        check_length(n, 1)
        return _random_letters(n)

    @ml_function("A secure random integer from lo to hi, both included (unlike "
                 "random.randomInt)")
    def random_int(self, lo, hi):
        for value, what in ((lo, "lo"), (hi, "hi")):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{what} must be an integer, not {typeof(value)}")
        if lo > hi:
            raise ValueError(f"random_int needs lo <= hi, got {lo} and {hi}")
        return lo + secrets.randbelow(hi - lo + 1)

    @ml_function("A secure random float k / 2**32 in [0, 1)")
    def random_float(self):
        return secrets.randbits(32) / 4294967296
