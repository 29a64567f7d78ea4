"""The ``crypto`` module: hashing and secure random need no grant; ``hash_file`` needs
``file.read`` on the file's canonical path."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid

import pytest


def test_hashes(run):
    result = run("""
        import crypto;
        result = [crypto.sha256("abc"), crypto.sha1("abc"), crypto.md5("abc"),
                  crypto.sha256("data", "salt"), crypto.hmac("msg", "key"),
                  crypto.hmac("msg", "key", "sha1"), crypto.uuid_from_string("example.com"),
                  crypto.uuid_from_string("x", "6ba7b811-9dad-11d1-80b4-00c04fd430c8")];
    """)
    assert result.value == [
        hashlib.sha256(b"abc").hexdigest(), hashlib.sha1(b"abc").hexdigest(),
        hashlib.md5(b"abc").hexdigest(), hashlib.sha256(b"saltdata").hexdigest(),
        hmac.new(b"key", b"msg", "sha256").hexdigest(),
        hmac.new(b"key", b"msg", "sha1").hexdigest(),
        str(uuid.uuid5(uuid.NAMESPACE_DNS, "example.com")),
        str(uuid.uuid5(uuid.NAMESPACE_URL, "x")),
    ]


def test_verification(run):
    out = run.output("""
        import crypto;
        sig = crypto.hmac("msg", "key");
        print(crypto.verify_hmac("msg", sig, "key"), crypto.verify_hmac("msg", sig, "other"),
              crypto.verify_hmac("msg", "zz", "key"));
        print(crypto.compare_hash("a", "a"), crypto.compare_hash("a", "b"));
    """)
    assert out == "true false false\ntrue false\n"


def test_secure_random(run):
    result = run("""
        import crypto;
        result = [crypto.uuid(), crypto.random_bytes(5), crypto.random_hex(4),
                  crypto.random_string(12), crypto.random_int(1, 3), crypto.random_int(7, 7),
                  crypto.random_float(), crypto.random_bytes(0)];
    """)
    u, raw, hexed, text, n, seven, f, empty = result.value
    assert uuid.UUID(u).version == 4
    assert type(raw) is bytes and len(raw) == 5 and empty == b""
    assert re.fullmatch(r"[0-9a-f]{8}", hexed) and re.fullmatch(r"[A-Za-z0-9]{12}", text)
    assert 1 <= n <= 3 and seven == 7 and 0 <= f < 1


def test_hash_file_needs_file_read(run, tmp):
    data = tmp / "data.bin"
    content = b"hello\x00world"
    data.write_bytes(content)
    program = 'import crypto; print(crypto.hash_file(p), crypto.hash_file(p, "md5"));'
    out = run.output(program, [f"file.read:{tmp}/*"], p=str(data))
    assert out == f"{hashlib.sha256(content).hexdigest()} {hashlib.md5(content).hexdigest()}\n"
    assert "file.read" in str(run.refused(program, p=str(data)))
    run.refused(program, ["file.read:/nowhere/*"], p=str(data))


def test_hash_file_refusals_are_catchable_and_aliases_are_checked(run, tmp):
    (tmp / "a.txt").write_text("a")
    out = run.output("""
        import crypto;
        f = crypto.hash_file;
        o = {h: crypto.hash_file};
        for (call in [fn() => f(p), fn() => o.h(p)]) {
            try { call(); } except (e) { print(e.type); }
        }
    """, p=str(tmp / "a.txt"))
    assert out == "CapabilityError\nCapabilityError\n"


def test_hash_file_errors_name_the_path_as_written(run, tmp):
    out = run.output('import crypto; try { crypto.hash_file("missing.txt"); } '
                     'except (e) { print(e.message); }', ["file.read"])
    assert "'missing.txt'" in out and str(tmp) not in out


def test_hash_file_respects_max_bytes(run, tmp):
    import mlpy
    (tmp / "big.txt").write_text("x" * 100)
    grant = mlpy.Capability.parse(f"file.read:{tmp}/*", max_bytes=10)
    result = run("import crypto; x = crypto.hash_file(p);", [grant], p=str(tmp / "big.txt"))
    assert isinstance(result.error, mlpy.CapabilityError)


@pytest.mark.parametrize("program, kind", [
    ("crypto.sha256(1);", "TypeError"),
    ("crypto.hmac('m', 'k', 'nope');", "ValueError"),
    ("crypto.random_bytes(-1);", "ValueError"),
    ("crypto.random_int(3, 1);", "ValueError"),
    ("crypto.uuid_from_string('x', 'not a uuid');", "ValueError"),
])
def test_bad_arguments_are_catchable_errors(run, program, kind):
    out = run.output(f"import crypto; try {{ {program} }} except (e) {{ print(e.type); }}")
    assert out == f"{kind}\n"


def test_sizes_are_limited(run):
    result = run("import crypto; x = crypto.random_bytes(1000000000000);")
    assert not result.ok and "CapabilityError" not in type(result.error).__name__
