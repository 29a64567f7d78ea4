"""IntegrationTestHelper: the 2.0 reference's test helper, with working semantics.

The method names of the reference are kept so that its users' tests keep their shape, but
every one now does what its name says: capabilities given are the capabilities granted
(none otherwise), ``assert_capability_violation`` passes exactly when the execution is
refused the named capability, and nothing is mocked. New tests can call the module
functions of :mod:`mlpy.testing.assertions` directly; they are also methods here.
"""

from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

from mlpy.engine import Engine
from mlpy.errors import CapabilityError
from mlpy.session import Session
from mlpy.testing import assertions

__all__ = ["IntegrationTestHelper"]


class IntegrationTestHelper:
    """Runs and checks ML code for a test; keeps what it ran for inspection.

    ``engine`` runs the synchronous checks (a fresh default-deny one by default, closed by
    :meth:`cleanup`). ``captured_async_executions`` lists ``{ml_code, result,
    execution_time}`` of each :meth:`assert_async_execution`; ``capability_violations``
    each refusal :meth:`assert_capability_violation` saw; ``mock_repl_sessions`` the
    sessions :meth:`create_test_repl` and :meth:`create_test_session` made.
    """

    def __init__(self, engine: Engine | None = None):
        self._owns_engine = engine is None
        self.engine = engine or Engine()
        self.mock_repl_sessions: list[Any] = []
        self.captured_async_executions: list[dict[str, Any]] = []
        self.capability_violations: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ sessions

    def create_test_session(self, capabilities: Any = None,
                            variables: Mapping[str, Any] | None = None) -> Session:
        """A session of the helper's engine with exactly ``capabilities`` (None: none)."""
        session = self.engine.session(variables, capabilities=capabilities or ())
        self.mock_repl_sessions.append(session)
        return session

    def create_test_repl(self, capabilities: Any = None) -> Any:
        """A REPL session (security on) granted ``capabilities``."""
        from mlpy.repl.session import MLREPLSession  # noqa: PLC0415 - the REPL loads on use

        repl = MLREPLSession(capabilities=[str(c) for c in (capabilities or ())])
        self.mock_repl_sessions.append(repl)
        return repl

    # ------------------------------------------------------------------ the 2.0 checks

    async def assert_async_execution(self, ml_code: str, expected_result: Any,
                                     timeout: float = 5.0, capabilities: Any = None) -> Any:
        """:func:`~mlpy.testing.assert_async_ml_result` with ``capabilities`` granted;
        recorded in ``captured_async_executions``."""
        start = time.perf_counter()
        result = await assertions.assert_async_ml_result(
            ml_code, expected_result, capabilities=capabilities or (), timeout=timeout)
        self.captured_async_executions.append({
            "ml_code": ml_code, "result": result.value,
            "execution_time": time.perf_counter() - start})
        return result

    def assert_callback_works(self, session: Any, function_name: str, args: Sequence[Any],
                              expected_result: Any, capabilities: Any = None) -> Any:
        return assertions.assert_callback_returns(session, function_name, args,
                                                  expected_result, capabilities=capabilities)

    def assert_capability_violation(self, ml_code: str, required_capability: str,
                                    available_capabilities: Any = None) -> CapabilityError:
        """Pass iff running ``ml_code`` with ``available_capabilities`` (None: none) fails
        with a :class:`~mlpy.CapabilityError` whose ``required`` is
        ``required_capability``; the refusal is recorded in ``capability_violations``."""
        error = assertions.assert_capability_denied(ml_code, required_capability,
                                                    capabilities=available_capabilities or ())
        self.capability_violations.append({
            "ml_code": ml_code, "required": error.required, "resource": error.resource,
            "message": error.message, "timestamp": time.time()})
        return error

    # ------------------------------------------------------------------ the spec's checks

    def assert_ml_result(self, source: Any, expected: Any, **options: Any) -> Any:
        options.setdefault("engine", self.engine)
        return assertions.assert_ml_result(source, expected, **options)

    async def assert_async_ml_result(self, source: Any, expected: Any, **options: Any) -> Any:
        return await assertions.assert_async_ml_result(source, expected, **options)

    def assert_callback_returns(self, *args: Any, **options: Any) -> Any:
        return assertions.assert_callback_returns(*args, **options)

    def assert_capability_denied(self, *args: Any, **options: Any) -> CapabilityError:
        return assertions.assert_capability_denied(*args, **options)

    def assert_ml_raises(self, *args: Any, **options: Any) -> Any:
        return assertions.assert_ml_raises(*args, **options)

    def assert_no_diagnostics(self, *args: Any, **options: Any) -> Any:
        return assertions.assert_no_diagnostics(*args, **options)

    # ------------------------------------------------------------------ history

    def get_execution_history(self) -> list[dict[str, Any]]:
        return list(self.captured_async_executions)

    def get_violation_history(self) -> list[dict[str, Any]]:
        return list(self.capability_violations)

    def reset(self) -> None:
        """Forget the history (the sessions made stay open until :meth:`cleanup`)."""
        self.captured_async_executions.clear()
        self.capability_violations.clear()

    def cleanup(self) -> None:
        """Close the sessions made and the helper's own engine; forget the history."""
        for session in self.mock_repl_sessions:
            session.close()
        self.mock_repl_sessions.clear()
        self.reset()
        if self._owns_engine:
            self.engine.close()

    def __enter__(self) -> "IntegrationTestHelper":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cleanup()
