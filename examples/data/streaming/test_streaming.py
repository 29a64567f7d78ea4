"""Tests of the streaming example: chunks arrive one by one, errors and early stops end cleanly."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_data_streaming_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def test_the_host_feeds_ml_one_chunk_at_a_time():
    pulled = []

    def rows():
        for row in app.readings(7):
            pulled.append(row["id"])
            yield row

    stream = app.score_in_chunks(rows(), size=3)
    first = next(stream)
    assert [item["id"] for item in first] == [0, 1, 2]
    assert pulled == [0, 1, 2]  # nothing past the first chunk was read yet
    rest = list(stream)
    assert [len(chunk) for chunk in rest] == [3, 1]
    assert rest[0][0] == {"id": 3, "status": "alert"}  # 3 * 37 % 150 = 111 > 100


def test_ml_emits_chunks_while_it_runs_and_its_result_comes_last():
    items = list(app.stream_report(list(app.readings(7)), size=3))
    assert [item.get("first") for item in items] == [0, 3, 6, None]
    assert items[-1] == {"alerts": 2}


def test_an_ml_error_reaches_the_reader_after_the_chunks_before_it():
    rows = [{"id": 0, "value": 1}, {"id": 1, "value": 2}, {"id": 2, "value": "high"}]
    stream = app.stream_report(rows, size=2)
    assert next(stream)["first"] == 0
    with pytest.raises(mlpy.MLRuntimeError) as caught:
        next(stream)
    assert Path(caught.value.ml_file).name == "scorer.ml" and caught.value.kind == "type_error"


def test_a_reader_that_stops_early_cancels_the_execution(caplog):
    caplog.set_level(logging.INFO, logger="mlpy")
    stream = app.stream_report(list(app.readings(5000)), size=1)
    assert next(stream)["first"] == 0
    stream.close()  # returns once the worker thread has ended
    cancelled = [record for record in caplog.records
                 if getattr(record, "error_type", None) == "MLCancelledError"]
    assert len(cancelled) == 1


def test_main_prints_both_streams(capsys):
    app.main()
    assert capsys.readouterr().out.splitlines()[-1] == "end 2"
