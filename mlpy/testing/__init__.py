"""Testing utilities for suites that test ML code and the applications embedding it.

The pytest plugin (:mod:`mlpy.testing.plugin`, loaded through the ``pytest11`` entry point
``mlpy``) provides the fixtures ``ml_engine``, ``ml_async_engine``, ``ml_session``,
``ml_caps``, ``ml_audit`` and ``ml_tmp_sandbox``. This package holds the rest, none of which
needs pytest: the assertion helpers, the mocks, :class:`FakeClock` and the performance
tester. Core mlpy modules never import it.
"""

from __future__ import annotations

from mlpy.errors import BenchmarkError
from mlpy.testing.assertions import (
    assert_async_ml_result, assert_callback_returns, assert_capability_denied, assert_ml_raises,
    assert_ml_result, assert_no_diagnostics,
)
from mlpy.testing.clock import FakeClock
from mlpy.testing.helper import IntegrationTestHelper
from mlpy.testing.mocks import (
    MockAsyncExecutor, MockCapabilityManager, MockExecutionRecord, MockFunctionCall,
    MockREPLSession, MockSession,
)
from mlpy.testing.performance import PerformanceTester, compare_performance, quick_benchmark

__all__ = [
    "BenchmarkError", "FakeClock", "IntegrationTestHelper", "MockAsyncExecutor",
    "MockCapabilityManager", "MockExecutionRecord", "MockFunctionCall", "MockREPLSession",
    "MockSession", "PerformanceTester", "assert_async_ml_result", "assert_callback_returns",
    "assert_capability_denied", "assert_ml_raises", "assert_ml_result",
    "assert_no_diagnostics", "compare_performance", "quick_benchmark",
]
