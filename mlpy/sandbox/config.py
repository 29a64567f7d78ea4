"""SandboxConfig: every option of subprocess isolation in one documented table.

Sizes are an int (bytes) or a string such as ``"256MB"``, ``"1.5GB"`` or ``"512MiB"``.
``KB``/``MB``/``GB``/``TB`` are powers of 1000 and ``KiB``/``MiB``/``GiB``/``TiB`` powers of
1024, as in the IEC standard and Kubernetes; units are case-insensitive and a bare number
is bytes. A bad value raises :class:`~mlpy.errors.MLConfigurationError` when the config is
created, never when a worker starts.

The config also turns its file and network options into capability grants and denies
(:meth:`SandboxConfig.restrict`), so they are enforced by the same gate as any grant.
"""

from __future__ import annotations

import math
import os
import re
import sys
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from mlpy.errors import MLConfigurationError
from mlpy.runtime.capabilities import Capability, CapabilitySet

_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*\Z", re.IGNORECASE)
_UNITS = {
    "": 1, "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_ENV_NAME = re.compile(r"[^=\0]+\Z")
# The worker itself needs a few descriptors (its pipes, the standard streams, imports).
MIN_OPEN_FILES = 16
# What a file grant from file_access_patterns lets a script do, and what read_only_mode denies.
_FILE_WRITES = ("file.write", "file.append", "file.delete")


def parse_size(value: int | str, name: str = "size") -> int:
    """Bytes for an int or a size string (see the module docstring); > 0, else an error."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise MLConfigurationError(_size_help(name, value))
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.match(value)
        unit = match and _UNITS.get(match.group(2).lower())
        if not unit:
            raise MLConfigurationError(_size_help(name, value))
        try:
            size = int(Decimal(match.group(1)) * unit)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise MLConfigurationError(_size_help(name, value)) from None
    if size < 1:
        raise MLConfigurationError(f"{name} must be at least 1 byte, not {value!r}")
    return size


def _size_help(name: str, value: Any) -> str:
    return (f"{name}: {value!r} is not a size; write bytes as an int, or a number and a unit "
            "such as '256MB', '1.5GB' or '512MiB' (KB, MB, GB are powers of 1000; KiB, MiB, "
            "GiB powers of 1024)")


def format_size(size: int) -> str:
    """``256000000`` -> ``'256 MB'``: how limits appear in messages."""
    for unit, factor in (("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if size >= factor:
            return f"{size / factor:g} {unit}"
    return f"{size} bytes"


@dataclass(frozen=True)
class SandboxConfig:
    """Options of the subprocess sandbox (integration spec 5.8); validated on creation.

    Limits, applied by the operating system in each worker process:

    ``memory_limit`` (``"256MB"``)
        Address space of a worker (``RLIMIT_AS``); a program that needs more fails with
        ``MLResourceError(resource="memory")``.
    ``cpu_timeout`` (30.0 s)
        CPU time of one execution. At the limit the execution stops with
        ``MLResourceError(resource="cpu")``; a worker stuck in one long operation is killed by
        ``RLIMIT_CPU`` one second later, with the same error.
    ``wall_timeout`` (None: ``cpu_timeout``)
        Wall-clock time of one execution when the call passes no ``timeout``. The worker
        stops the program cooperatively; the pool kills a worker that overruns it anyway.
    ``file_size_limit`` (``"10MB"``)
        Largest file a worker may write (``RLIMIT_FSIZE``).
    ``max_output`` (``"1MB"``) and ``fail_on_output_limit`` (False)
        Bytes kept of each of stdout and stderr. Output beyond is cut off and flagged in
        ``usage``; with ``fail_on_output_limit`` the execution also stops with
        ``MLResourceError(resource="output")``.
    ``max_open_files`` (64)
        ``RLIMIT_NOFILE``; at least 16, which the worker needs for itself.
    ``max_processes`` (0)
        Extra processes a worker may start. 0 sets ``RLIMIT_NPROC`` to 0, so a worker cannot
        fork; the kernel counts that limit per user, so no other value can be expressed per
        worker and a positive value leaves it unset (ML code has no way to start processes).
    ``max_wire_bytes`` (``"64MiB"``)
        Largest encoded inputs or result that may cross to or from a worker.

    Grants (see :meth:`restrict`):

    ``network_disabled`` (True)
        Denies every ``network.*`` capability, whatever the call grants.
    ``network_isolation`` (``"none"``)
        ``"os"`` also moves each worker into a network namespace of its own (Linux), where
        no network exists; if the system does not permit that, the pool refuses to start.
    ``allowed_hosts``, ``allowed_ports`` (empty: no restriction)
        With the network enabled, network grants are narrowed to these hosts and ports.
    ``file_access_patterns`` (empty)
        Path globs turned into ``file.read`` grants, plus ``file.write`` grants unless
        ``read_only_mode``.
    ``read_only_mode`` (False)
        Denies ``file.write``, ``file.append`` and ``file.delete``.

    Processes:

    ``python_executable`` (None: ``sys.executable``)
        The interpreter that runs workers; it must be able to import this mlpy's
        dependencies (the worker loads mlpy itself from this installation's directory).
    ``extra_env`` (empty) and ``env_passthrough`` (empty)
        Workers start from a minimal environment (``PATH``, ``HOME`` and ``TMPDIR``);
        ``env_passthrough`` names variables copied from the host's environment and
        ``extra_env`` adds fixed ones. The host's environment is never copied wholesale.
    ``working_dir`` (None)
        The directory an execution runs in, where its relative paths start. None gives the
        worker a fresh private directory per execution (its ``HOME`` and ``TMPDIR``, removed
        afterwards) and starts the program's relative paths at the caller's working
        directory, as in-process and as relative grants do.
    ``pool_size`` (2)
        Warm workers kept ready.
    ``max_tasks_per_worker`` (100)
        Executions after which a worker is replaced; a worker is also replaced after any
        limit was reached or it failed.
    ``require_limits`` (True)
        A limit the operating system cannot apply is an ``MLConfigurationError`` when the
        pool starts; False runs without it (``SandboxPool.limits`` says what was applied).
    ``strict_mode`` (True)
        Programs that fail the static security checks are rejected. mlpy always applies
        these checks, so False is refused rather than silently ignored.
    """

    memory_limit: int | str = "256MB"
    cpu_timeout: float = 30.0
    wall_timeout: float | None = None
    file_size_limit: int | str = "10MB"
    max_output: int | str = "1MB"
    fail_on_output_limit: bool = False
    max_open_files: int = 64
    max_processes: int = 0
    max_wire_bytes: int | str = "64MiB"
    network_disabled: bool = True
    network_isolation: str = "none"
    allowed_hosts: Iterable[str] = ()
    allowed_ports: Iterable[int] = ()
    file_access_patterns: Iterable[str] = ()
    read_only_mode: bool = False
    python_executable: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    env_passthrough: Iterable[str] = ()
    working_dir: str | None = None
    pool_size: int = 2
    max_tasks_per_worker: int = 100
    require_limits: bool = True
    strict_mode: bool = True

    def __post_init__(self) -> None:
        self._check_limits()
        self._check_switches()
        self._check_lists()
        self._check_process()
        self.restrict(CapabilitySet())  # a bad host or pattern fails now, not at first use

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # normalising a frozen dataclass in place

    def _check_limits(self) -> None:
        for name in ("memory_limit", "file_size_limit", "max_output", "max_wire_bytes"):
            self._set(name, parse_size(getattr(self, name), name))
        self._set("cpu_timeout", _seconds("cpu_timeout", self.cpu_timeout))
        wall = self.cpu_timeout if self.wall_timeout is None else self.wall_timeout
        self._set("wall_timeout", _seconds("wall_timeout", wall))
        for name, minimum in (("max_open_files", MIN_OPEN_FILES), ("max_processes", 0),
                              ("pool_size", 1), ("max_tasks_per_worker", 1)):
            self._set(name, _count(name, getattr(self, name), minimum))

    def _check_switches(self) -> None:
        for name in ("fail_on_output_limit", "network_disabled", "read_only_mode",
                     "require_limits", "strict_mode"):
            if not isinstance(getattr(self, name), bool):
                raise MLConfigurationError(f"{name} must be True or False")
        if self.network_isolation not in ("none", "os"):
            raise MLConfigurationError(
                f"network_isolation must be 'none' or 'os', not {self.network_isolation!r}")
        if not self.strict_mode:
            raise MLConfigurationError(
                "strict_mode=False is not available: mlpy always rejects programs that fail "
                "its static security checks")

    def _check_lists(self) -> None:
        for name in ("allowed_hosts", "file_access_patterns", "env_passthrough"):
            self._set(name, _strings(name, getattr(self, name)))
        self._set("allowed_ports", _ports(self.allowed_ports))
        self._set("extra_env", MappingProxyType(_environment(self.extra_env)))

    def _check_process(self) -> None:
        self._set("python_executable", self.python_executable or sys.executable)
        if not isinstance(self.python_executable, str) or not self.python_executable:
            raise MLConfigurationError("python_executable must name an interpreter")
        if self.working_dir is not None:
            working = os.fspath(self.working_dir)
            if not os.path.isdir(working):
                raise MLConfigurationError(f"working_dir {working!r} is not a directory")
            self._set("working_dir", os.path.abspath(working))

    # ------------------------------------------------------------------ grants

    def restrict(self, capabilities: CapabilitySet) -> CapabilitySet:
        """The grants an execution asking for ``capabilities`` gets inside the sandbox.

        ``file_access_patterns`` add file grants; ``allowed_hosts``/``allowed_ports`` keep
        only network grants within them (conservatively: a grant whose scope is not
        provably inside an allowed host is dropped); ``read_only_mode`` and
        ``network_disabled`` add denies, which win over every grant. File scopes are made
        absolute here, in the host (``~`` is the host user's home, a relative path starts
        at the host's current directory), so they mean what they mean in-process although
        a worker has a home and a current directory of its own.
        """
        caps = _anchored(capabilities)
        if self.file_access_patterns:
            actions = ("file.read",) if self.read_only_mode else ("file.read", "file.write")
            caps = caps.union(_anchored(CapabilitySet.parse(
                [f"{action}:{pattern}" for pattern in self.file_access_patterns
                 for action in actions])))
        if self.allowed_hosts or self.allowed_ports:
            caps = self._narrow_network(caps)
        denies = list(_FILE_WRITES) if self.read_only_mode else []
        if self.network_disabled:
            denies.append("network.*")
        return caps.attenuate(deny=denies) if denies else caps

    def _narrow_network(self, caps: CapabilitySet) -> CapabilitySet:
        network = [g for g in caps.grants if g.area == "network"]
        if not network:
            return caps
        others = CapabilitySet(tuple(g for g in caps.grants if g.area != "network"),
                               caps.denies)
        hosts = self.allowed_hosts or ("*",)
        ports = [f":{port}" for port in self.allowed_ports] or [""]
        actions = sorted({g.action for g in network})
        allowed = CapabilitySet.parse([f"network.{action}:{host}{port}" for action in actions
                                       for host in hosts for port in ports])
        return others.union(CapabilitySet(tuple(network)).intersect(allowed))

    # ------------------------------------------------------------------ derived

    @property
    def frame_limit(self) -> int:
        """The largest frame the pool accepts from a worker: a result within
        ``max_wire_bytes`` plus both output streams, JSON-escaped (at most 6 bytes each)."""
        return self.max_wire_bytes + 12 * self.max_output + (1 << 20)

    def os_limits(self) -> dict[str, int]:
        """The per-process limits a worker applies to itself when it starts."""
        return {
            "memory": self.memory_limit,
            "file_size": self.file_size_limit,
            "open_files": self.max_open_files,
            "processes": self.max_processes,
        }


def _anchored(caps: CapabilitySet) -> CapabilitySet:
    """``caps`` with every file scope absolute, as the host resolves it."""
    def anchor(capability: Capability) -> Capability:
        scope = capability.scope
        if capability.area != "file" or scope is None:
            return capability
        absolute = os.path.abspath(os.path.expanduser(scope))
        return capability if absolute == scope else replace(capability, scope=absolute)

    grants, denies = tuple(map(anchor, caps.grants)), tuple(map(anchor, caps.denies))
    if grants == caps.grants and denies == caps.denies:
        return caps
    return CapabilitySet(grants, denies)


def _seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value <= 0:
        raise MLConfigurationError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


def _count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise MLConfigurationError(f"{name} must be an integer of at least {minimum}, "
                                   f"not {value!r}")
    return value


def _strings(name: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    items = tuple(values)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise MLConfigurationError(f"{name} holds {item!r}, which is not a non-empty "
                                       "string")
    return items


def _ports(values: Any) -> tuple[int, ...]:
    if isinstance(values, int):
        values = [values]
    ports = tuple(values)
    for port in ports:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise MLConfigurationError(f"allowed_ports holds {port!r}, which is not a port "
                                       "number (1-65535)")
    return ports


def _environment(values: Any) -> dict[str, str]:
    if not isinstance(values, Mapping):
        raise MLConfigurationError("extra_env must be a mapping of names to strings")
    env = dict(values)
    for name, value in env.items():
        if not isinstance(name, str) or not _ENV_NAME.match(name) \
                or not isinstance(value, str) or "\0" in value:
            raise MLConfigurationError(
                f"extra_env entry {name!r}: names and values are strings, names without "
                "'=' or NUL, values without NUL")
    return env
