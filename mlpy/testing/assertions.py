"""Assertion helpers for tests of ML code and of the host code around it.

Each helper runs the ML code for real -- a fresh default-deny :class:`~mlpy.Engine` unless
one is given, the capabilities the call names and no others -- and raises
``AssertionError`` with a message that says what was expected, what happened instead and,
for an ML error, where (``file:line:column``, the source line and the caret of the error's
own report). A helper only observes: it passes nothing to the execution beyond what the
call says, never retries, and returns what it saw (the result, value or error) for further
checks.
"""

from __future__ import annotations

import math
import re
from os import PathLike
from typing import Any, Iterable, Mapping, Sequence

from mlpy.engine import Engine, ExecutionResult
from mlpy.errors import CapabilityError, MLError
from mlpy.program import Program

__all__ = [
    "assert_async_ml_result", "assert_callback_returns", "assert_capability_denied",
    "assert_ml_raises", "assert_ml_result", "assert_no_diagnostics", "describe_error",
]

Source = str | Program | PathLike[str]
_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


# ----------------------------------------------------------------------------- reporting


def describe_error(error: BaseException) -> str:
    """One line naming an error: its class and code, where in ML it happened, its message."""
    if not isinstance(error, MLError):
        return f"{type(error).__name__}: {error}"
    where = ""
    if error.ml_file or error.ml_line:
        where = f" at {error.ml_file or '<string>'}:{error.ml_line or '?'}"
        if error.ml_column:
            where += f":{error.ml_column}"
    return f"{type(error).__name__} [{error.code}]{where}: {error.message}"


def _report(error: BaseException) -> str:
    """The error's one-line description and, for an ML error, its full report indented."""
    if not isinstance(error, MLError):
        return describe_error(error)
    body = "\n".join("    " + line for line in error.report(color=False).splitlines())
    return f"{type(error).__name__}:\n{body}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else text[:297] + "..."


# ----------------------------------------------------------------------------- running


def _run(source: Source, variables: Mapping[str, Any] | None, capabilities: Any,
         engine: Engine | None) -> ExecutionResult:
    """Run ``source`` once with exactly ``capabilities``, on ``engine`` or a fresh one."""
    own = engine is None
    engine = engine or Engine()
    try:
        if isinstance(source, PathLike):
            try:
                source = engine.compile(source, inputs=(variables or {}).keys())
            except MLError as error:
                return ExecutionResult(False, error=error)
        return engine.execute(source, variables, capabilities=_grants(capabilities))
    finally:
        if own:
            engine.close()


def _grants(capabilities: Any) -> Any:
    """What a helper grants: the capabilities given, none when given None or ()."""
    return () if capabilities is None else capabilities


def _granted_text(capabilities: Any) -> str:
    if capabilities is None or capabilities == ():
        return "no capabilities"
    if isinstance(capabilities, str):
        return f"the capabilities [{capabilities!r}]"
    return f"the capabilities {[str(c) for c in capabilities]!r}"


def _equal(actual: Any, expected: Any, tolerance: float | None) -> bool:
    """``actual == expected``; with a tolerance, numbers (also inside arrays and objects)
    compare with :func:`math.isclose` (relative and absolute tolerance both ``tolerance``)."""
    if tolerance is None:
        return _same_kind_equal(actual, expected)
    if _is_number(actual) and _is_number(expected):
        return math.isclose(actual, expected, rel_tol=tolerance, abs_tol=tolerance)
    if isinstance(actual, list) and isinstance(expected, (list, tuple)):
        return len(actual) == len(expected) and all(
            _equal(a, e, tolerance) for a, e in zip(actual, expected))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            _equal(actual[k], expected[k], tolerance) for k in actual)
    return _same_kind_equal(actual, expected)


def _same_kind_equal(actual: Any, expected: Any) -> bool:
    """Equality that keeps ``true`` apart from ``1`` (ML has both; Python's == does not),
    also inside arrays and objects."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, list) and isinstance(expected, (list, tuple)):
        return len(actual) == len(expected) and all(
            _same_kind_equal(a, e) for a, e in zip(actual, expected))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            _same_kind_equal(actual[k], expected[k]) for k in actual)
    return bool(actual == expected)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ----------------------------------------------------------------------------- helpers


def assert_ml_result(source: Source, expected: Any, *, variables: Mapping[str, Any] | None = None,
                     capabilities: Any = (), engine: Engine | None = None,
                     approx: float | None = None) -> ExecutionResult:
    """Run ``source`` and check that it succeeds with the value ``expected``.

    The value is the execution's ``result.value`` (the variable ``result``, else the last
    expression). ``capabilities`` are all the execution is granted (none by default);
    ``engine`` runs it instead of a fresh engine; ``approx`` is a tolerance for numbers.
    ``true`` never equals ``1`` here. Returns the :class:`~mlpy.ExecutionResult`.
    """
    result = _run(source, variables, capabilities, engine)
    if not result.ok:
        raise AssertionError(
            f"the ML program failed, expected it to give {_short(expected)} "
            f"(run with {_granted_text(capabilities)}):\n{_report(result.error)}")
    if not _equal(result.value, expected, approx):
        within = "" if approx is None else f" (within {approx:g})"
        raise AssertionError(f"the ML program gave {_short(result.value)}, "
                             f"expected {_short(expected)}{within}")
    return result


async def assert_async_ml_result(source: str | Program, expected: Any, *,
                                 variables: Mapping[str, Any] | None = None,
                                 capabilities: Any = (), timeout: float = 5) -> Any:
    """Run ``source`` on an :class:`~mlpy.AsyncEngine` (a private one, closed afterwards)
    from the running event loop and check that it succeeds with the value ``expected``
    within ``timeout`` seconds. Returns the :class:`~mlpy.AsyncMLResult`."""
    from mlpy.aio import AsyncEngine  # the async layer loads only for async tests

    engine = AsyncEngine(max_workers=1, max_pending=None, default_timeout=timeout)
    try:
        result = await engine.execute(source, variables=variables,
                                      capabilities=_grants(capabilities))
    finally:
        await engine.aclose(cancel_pending=True)
    if result.timed_out:
        raise AssertionError(f"the ML program did not finish within {timeout:g} s, "
                             f"expected it to give {_short(expected)}:\n"
                             f"{_report(result.error_info)}")
    if not result.success:
        raise AssertionError(
            f"the ML program failed, expected it to give {_short(expected)} "
            f"(run with {_granted_text(capabilities)}):\n{_report(result.error_info)}")
    if not _equal(result.value, expected, None):
        raise AssertionError(f"the ML program gave {_short(result.value)}, "
                             f"expected {_short(expected)}")
    return result


def assert_callback_returns(session: Any, function: Any, args: Sequence[Any], expected: Any, *,
                            kwargs: Mapping[str, Any] | None = None,
                            capabilities: Any = None) -> Any:
    """Call the ML function ``function`` (its name) of ``session`` as a host callback --
    :func:`mlpy.ml_callback`, so through the same path an application's callbacks take --
    with ``args`` and ``kwargs``, and check that it returns ``expected``.

    ``capabilities`` None runs it under the session's grants; a set replaces them for this
    call. ``function`` may also be a callback or MLFunction already made. Returns the value.
    """
    from mlpy.callbacks import ml_callback  # noqa: PLC0415 - callbacks load on first use

    if not isinstance(args, (tuple, list)):
        raise TypeError(f"args must be a tuple or a list of arguments, not "
                        f"{type(args).__name__} (for one argument write ({args!r},))")
    kwargs = dict(kwargs or {})
    if isinstance(function, str):
        name = function
        handle = ml_callback(session, function,
                             capabilities="creation" if capabilities is None else capabilities)
    else:
        name = getattr(function, "name", None) or getattr(function, "__name__", repr(function))
        handle = function if capabilities is None else function.with_capabilities(capabilities)
    shown = ", ".join([*map(_short, args), *(f"{k}={_short(v)}" for k, v in kwargs.items())])
    try:
        value = handle(*args, **kwargs)
    except MLError as error:
        raise AssertionError(f"the callback {name}({shown}) raised instead of returning "
                             f"{_short(expected)}:\n{_report(error)}") from error
    if not _equal(value, expected, None):
        raise AssertionError(f"the callback {name}({shown}) returned {_short(value)}, "
                             f"expected {_short(expected)}")
    return value


def assert_capability_denied(source: Source, required: str, *, capabilities: Any = (),
                             resource: str | None = None) -> CapabilityError:
    """Run ``source`` with ``capabilities`` (none by default) and check that it is refused
    for lack of the capability ``required`` (``CapabilityError.required``), and, when
    ``resource`` is given, for that resource (``CapabilityError.resource``). Fails when the
    program runs to its end, fails otherwise, or is refused another capability. Returns the
    error."""
    result = _run(source, None, capabilities, None)
    wanted = f"a CapabilityError for {required!r}" + (
        f" on {resource!r}" if resource is not None else "")
    error = result.error
    if error is None:
        raise AssertionError(
            f"expected {wanted}, but the program ran to its end with "
            f"{_granted_text(capabilities)} (value: {_short(result.value)})")
    if not isinstance(error, CapabilityError):
        raise AssertionError(f"expected {wanted}, but the program failed with another "
                             f"error:\n{_report(error)}")
    if error.required != required:
        raise AssertionError(f"expected {wanted}, but the capability refused was "
                             f"{error.required!r}:\n{_report(error)}")
    if resource is not None and error.resource != resource:
        raise AssertionError(f"expected {wanted}, but the resource refused was "
                             f"{error.resource!r}:\n{_report(error)}")
    return error


def assert_ml_raises(source: Source, error_type: type[BaseException] | tuple[type, ...], *,
                     match: str | None = None, line: int | None = None) -> MLError:
    """Run ``source`` (no capabilities) and check that it fails with ``error_type`` (a
    class of :mod:`mlpy.errors`, or a tuple of them), whose message matches the regular
    expression ``match`` (``re.search``) and whose innermost ML line is ``line``. Compile
    errors count: they are the execution's error too. Returns the error."""
    result = _run(source, None, (), None)
    wanted = _type_names(error_type) + (f" matching {match!r}" if match is not None else "") \
        + (f" on ML line {line}" if line is not None else "")
    error = result.error
    if error is None:
        raise AssertionError(f"expected {wanted}, but the program ran to its end "
                             f"(value: {_short(result.value)})")
    if not isinstance(error, error_type):
        raise AssertionError(f"expected {wanted}, but it failed with "
                             f"{type(error).__name__}:\n{_report(error)}")
    if match is not None and not re.search(match, error.message):
        raise AssertionError(f"expected {wanted}, but the message was "
                             f"{error.message!r}:\n{_report(error)}")
    if line is not None and error.ml_line != line:
        raise AssertionError(f"expected {wanted}, but it failed on ML line "
                             f"{error.ml_line}:\n{_report(error)}")
    return error


def _type_names(error_type: Any) -> str:
    if isinstance(error_type, tuple):
        return " or ".join(t.__name__ for t in error_type)
    return error_type.__name__


def assert_no_diagnostics(source: Source, *, severity: str = "warning") -> list[Any]:
    """Compile ``source`` and check that the compiler reports nothing at ``severity`` or
    above (``"error"``, ``"warning"`` -- the default -- or ``"info"``). Fails listing each
    finding with its code, file and line. The findings below the threshold are returned.

    These are the compiler's findings; the warnings :meth:`Engine.check` adds about the
    capabilities an engine does not grant depend on the engine and are not included.
    """
    if severity not in _SEVERITY_RANK:
        raise ValueError(f"severity must be one of {sorted(_SEVERITY_RANK)}, not {severity!r}")
    diagnostics = _diagnostics(source)
    threshold = _SEVERITY_RANK[severity]
    found = [d for d in diagnostics if _SEVERITY_RANK.get(d.severity, 2) >= threshold]
    if found:
        listed = "\n".join(
            f"  {d.file or '<string>'}:{d.line}:{d.column}: {d.severity}: {d.message} [{d.code}]"
            for d in found)
        raise AssertionError(f"expected no diagnostics at {severity!r} or above, "
                             f"the compiler reported {len(found)}:\n{listed}")
    return [d for d in diagnostics if d not in found]


def _diagnostics(source: Source) -> Iterable[Any]:
    if isinstance(source, Program):
        return list(source.diagnostics)
    from mlpy.errors import MLCompileError

    with Engine(cache_size=0) as engine:
        try:
            return list(engine.compile(source).diagnostics)
        except MLCompileError as error:
            return list(error.diagnostics)
