"""Tests of callback_stateful: state kept between calls, per session, exact under threads."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_callback_stateful_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def test_the_state_persists_between_calls():
    monitor = app.SensorMonitor(tolerance=2.0)
    flags = [monitor.record(r) for r in app.READINGS]
    assert flags == [False] * 5 + [True, False]
    assert monitor.summary() == {"count": 7, "mean": round(sum(app.READINGS) / 7, 2)}
    assert monitor.session.get("count") == 7  # the host reads the ML variable


def test_no_anomaly_before_five_readings_however_far():
    monitor = app.SensorMonitor(tolerance=0.1)
    assert [monitor.record(r) for r in (1, 100, 1, 100, 1)] == [False] * 5
    assert monitor.record(500) is True


def test_each_sensor_has_state_of_its_own():
    first, second = app.SensorMonitor(1.0), app.SensorMonitor(1.0)
    first.record(5.0)
    assert first.summary()["count"] == 1
    assert second.summary() == {"count": 0, "mean": 0.0}


def test_eight_threads_of_a_thousand_calls_count_exactly():
    monitor = app.SensorMonitor(tolerance=1.0)

    def feed() -> None:
        for _ in range(1000):
            monitor.record(3.0)

    threads = [threading.Thread(target=feed) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert monitor.summary() == {"count": 8000, "mean": 3.0}
    assert monitor.record.stats.calls == 8000


def test_a_failing_call_raises_and_leaves_the_state_as_it_was():
    # record() fails on its first line, before it changes anything.
    monitor = app.SensorMonitor(tolerance=1.0)
    monitor.record(4.0)
    with pytest.raises(mlpy.MLRuntimeError) as caught:
        monitor.record("hot")
    assert caught.value.ml_line == 11
    assert monitor.summary() == {"count": 1, "mean": 4.0}
    load = monitor.load()
    assert isinstance(load, mlpy.CallbackStats)
    assert (load.calls, load.errors) == (2, 1) and load.total_time > 0


def test_reset_starts_the_statistics_again():
    monitor = app.SensorMonitor(tolerance=1.0)
    for r in (1.0, 2.0, 3.0):
        monitor.record(r)
    monitor.reset()
    assert monitor.summary() == {"count": 0, "mean": 0.0}
    monitor.record(9.0)
    assert monitor.summary() == {"count": 1, "mean": 9.0}


def test_main_prints_the_monitors(capsys):
    app.main()
    assert capsys.readouterr().out.splitlines() == [
        "boiler anomalies at: [5]",
        "boiler: {'count': 7, 'mean': 21.24} freezer: {'count': 0, 'mean': 0.0}",
        "freezer after 4 x 250 readings: {'count': 1000, 'mean': -18.0}",
        "freezer after reset: {'count': 0, 'mean': 0.0} calls: 1000",
    ]
