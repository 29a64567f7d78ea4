"""FakeClock drives the deadlines of ML time limits, and nothing else."""

from __future__ import annotations

import time

import pytest

import mlpy
from mlpy.runtime import state
from mlpy.testing import FakeClock

pytest_plugins = ["pytester"]


def test_a_timeout_is_driven_by_the_fake_clock_in_a_user_suite(user_suite):
    suite = user_suite('''
import mlpy
from mlpy.testing import FakeClock

def make_fetch(clock):
    @mlpy.host_function
    def fetch(key):
        clock.advance(12.0)  # the remote service takes 12 s
        return key.upper()
    return fetch

SOURCE = "a = fetch('a');\\nb = fetch('b');\\nresult = a + b;"

def test_right_the_second_slow_call_ends_the_execution(ml_engine):
    with FakeClock() as clock:
        result = ml_engine.execute(SOURCE, {"fetch": make_fetch(clock)}, timeout=20)
    assert isinstance(result.error, mlpy.MLTimeoutError)
    assert result.error.elapsed == 24.0 and result.error.ml_line == 2

def test_right_one_slow_call_fits(ml_engine):
    with FakeClock() as clock:
        result = ml_engine.execute("result = fetch('a');", {"fetch": make_fetch(clock)},
                                   timeout=20)
    assert result.value == "A"

def test_wrong_expects_the_timeout_too_early(ml_engine):
    with FakeClock() as clock:
        result = ml_engine.execute("result = fetch('a');", {"fetch": make_fetch(clock)},
                                   timeout=20)
    assert isinstance(result.error, mlpy.MLTimeoutError)
''').check()
    suite.run.assert_outcomes(passed=2, failed=1)
    assert state.clock is time.monotonic


def test_the_clock_stands_still_until_advanced():
    with FakeClock(start=100.0) as clock:
        assert state.clock is clock and clock() == 100.0
        # A loop that takes real time does not time out on a clock that stands still.
        result = mlpy.execute("i = 0; while (i < 200000) { i = i + 1; } result = i;",
                              timeout=0.001)
        assert result.value == 200000
        assert clock.advance(2.5) == 102.5 and clock.now() == 102.5
    assert state.clock is time.monotonic


def test_a_host_call_of_an_ml_function_uses_it():
    session = mlpy.Engine().session()
    with FakeClock() as clock:
        session.set("wait", mlpy.host_function(lambda: clock.advance(5)))
        session.exec("function job() { wait(); while (true) { } }").raise_for_error()
        handle = session.function("job", timeout=3)
        with pytest.raises(mlpy.MLTimeoutError) as raised:
            handle()
    assert raised.value.elapsed == 5


def test_it_does_not_change_what_ml_reads_as_the_date():
    source = "import datetime; result = datetime.now().year();"
    with FakeClock(start=0.0):
        year = mlpy.execute(source, capabilities=["datetime.now"]).value
    assert year == time.localtime().tm_year


def test_misuse_is_refused_clearly():
    clock = FakeClock()
    with pytest.raises(mlpy.MLConfigurationError, match="never goes back"):
        clock.advance(-1)
    with clock:
        with pytest.raises(mlpy.MLConfigurationError, match="already installed"):
            clock.install()
        with pytest.raises(mlpy.MLConfigurationError, match="another FakeClock"):
            FakeClock().install()
    clock.uninstall()  # idempotent
    assert state.clock is time.monotonic


def test_the_real_clock_is_back_after_an_exception():
    with pytest.raises(RuntimeError):
        with FakeClock():
            raise RuntimeError("test failed")
    assert state.clock is time.monotonic
    assert isinstance(mlpy.execute("while (true) { }", timeout=0.05).error, mlpy.MLTimeoutError)
