"""The ``log`` module: records go through the execution's output; files need ``file.write``."""

from __future__ import annotations

import json
import os
import re

import pytest

import mlpy

STAMP = r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] "


def test_text_records_levels_and_data(run):
    out = run.output("""
        import log;
        log.debug("hidden");
        log.info("started", {port: 80, debug: false, tag: null});
        log.warn("careful");
        log.error("failed");
        log.critical("down");
        print(log.is_debug());
    """, ["log.write"])
    lines = out.splitlines()
    assert [re.sub(STAMP, "", line, count=1) for line in lines[:4]] == [
        "INFO: started | port=80, debug=false, tag=null", "WARNING: careful",
        "ERROR: failed", "CRITICAL: down"]
    assert all(re.match(STAMP, line) for line in lines[:4])
    assert lines[4] == "false"


@pytest.mark.parametrize("level, shown", [
    ("debug", "DIWEC"), ("INFO", "IWEC"), ("warn", "WEC"), ("Warning", "WEC"),
    ("error", "EC"), ("CRITICAL", "C"), ("nonsense", "IWEC"),
])
def test_set_level(run, level, shown):
    out = run.output(f"""
        import log;
        log.set_timestamp(false);
        log.set_level("{level}");
        log.debug("D"); log.info("I"); log.warn("W"); log.error("E"); log.critical("C");
    """, ["log.write"])
    assert "".join(line.split(": ")[1] for line in out.splitlines()) == shown


def test_json_records(run):
    out = run.output("""
        import log;
        log.set_format("json");
        log.info("hello", {n: 1, ok: true});
        log.warn("w");
        log.set_timestamp(false);
        log.error("e");
    """, ["log.write"])
    first, second, third = (json.loads(line) for line in out.splitlines())
    assert first["message"] == "hello" and first["level"] == "INFO"
    assert first["logger"] == "ml" and first["data"] == {"n": 1, "ok": True}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["timestamp"])
    assert second["level"] == "WARN" and "data" not in second
    assert third == {"message": "e", "level": "ERROR", "logger": "ml"}


def test_named_loggers_have_their_own_settings(run):
    out = run.output("""
        import log;
        a = log.create_logger("svc");
        print(a.name, typeof(a), a.is_debug());
        a.set_level("DEBUG");
        a.set_format("json");
        a.set_timestamp(false);
        a.debug("d", {k: "v"});
        print(log.is_debug());
    """, ["log.write"])
    assert out.splitlines() == [
        "svc Logger false",
        '{"message": "d", "level": "DEBUG", "logger": "svc", "data": {"k": "v"}}', "false"]


def test_settings_do_not_leak_between_executions_but_last_in_a_session():
    engine = mlpy.Engine(capabilities=["log.write"])
    assert engine.execute('import log; log.set_level("debug");').ok
    result = engine.execute('import log; print(log.is_debug());', capture_output=True)
    assert result.stdout == "false\n"
    session = engine.session()
    session.exec('import log; log.set_level("debug"); log.set_timestamp(false);')
    result = session.exec('log.debug("kept");', capture_output=True)
    assert result.stdout == "DEBUG: kept\n"
    assert session.names() == []


@pytest.mark.parametrize("program", [
    'import log; log.info("x");',
    'import log; f = log.warn; f("x");',
    'import log; m = log; m.error("x");',
    'import log; log.set_level("debug");',
    'import log; l = log.create_logger("a"); l.info("x");',
    'import log; l = log.create_logger("a"); f = l.info; f("x");',
])
def test_log_write_is_required(run, program):
    assert run.refused(program).required == "log.write"


def test_what_needs_no_capability(run):
    assert run.output('import log; l = log.create_logger("n"); print(log.is_debug(), '
                      'l.is_debug(), l.name);') == "false false n\n"


def test_add_file_appends_records(run, tmp):
    path = tmp / "logs" / "app.log"
    out = run.output("""
        import log;
        log.set_timestamp(false);
        log.add_file(p);
        log.add_file(p);
        log.info("one");
        l = log.create_logger("svc");
        l.set_format("json");
        l.set_timestamp(false);
        l.add_file(p);
        l.warn("two");
    """, ["log.write", f"file.write:{tmp}/logs/**"], p=str(path))
    assert out == 'INFO: one\n{"message": "two", "level": "WARN", "logger": "svc"}\n'
    assert path.read_text(encoding="utf-8") == out


def test_add_file_is_checked_on_the_canonical_path(run, tmp):
    (tmp / "logs").mkdir()
    os.symlink(tmp / "elsewhere.log", tmp / "logs" / "link.log")
    grants = ["log.write", f"file.write:{tmp}/logs/**"]
    for path in (tmp / "other.log", tmp / "logs" / ".." / "x.log", tmp / "logs" / "link.log"):
        run.refused("import log; log.add_file(p);", grants, p=str(path))
    error = run.refused('import log; log.add_file(p);', ["log.write"], p=str(tmp / "a.log"))
    assert error.required == "file.write"
    assert not (tmp / "elsewhere.log").exists()


def test_data_must_be_an_object(run):
    out = run.output('import log; try { log.info("x", 5); } except (e) { print(e.type); }',
                     ["log.write"])
    assert out == "TypeError\n"


def test_output_limit_applies(run):
    result = mlpy.Engine(capabilities=["log.write"], max_output=100).execute(
        'import log; while (true) { log.info("spam spam spam"); }', capture_output=True)
    assert isinstance(result.error, mlpy.MLResourceError)


def test_max_bytes_bounds_a_log_file(run, tmp):
    path = tmp / "small.log"
    grant = mlpy.Capability.parse(f"file.write:{tmp}/**", max_bytes=30)
    result = run("""
        import log;
        log.set_timestamp(false);
        log.add_file(p);
        log.info("first line");
        log.info("second line");
    """, ["log.write", grant], p=str(path))
    assert isinstance(result.error, mlpy.CapabilityError)
    assert path.read_text(encoding="utf-8") == "INFO: first line\n"
