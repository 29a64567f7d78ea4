"""mlpy's logging (integration spec 9.5): the logger tree, the level of each outcome, the
execution id on every record, the JSON formatter on the ``mlpy`` logger only, and ML
source text and values never above DEBUG.

Records are caught by a handler of the test's own on the ``mlpy`` logger (or the root
logger, where the test is about handlers mlpy did not install), never by sleeping.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import threading

import pytest

import mlpy
from mlpy.capabilities import AuditLog
from mlpy.errors import MLConfigurationError, MLHostError
from mlpy.observability import logging as mlpy_logging
from mlpy.observability.logging import (
    TREE,
    ExecutionIdFilter,
    JSONFormatter,
    configure,
    describe,
    level_for,
)
from mlpy.runtime.state import CURRENT, ExecutionState
from tests.support import wait_until

SPEC_TREE = {"mlpy", "mlpy.engine", "mlpy.async", "mlpy.capabilities", "mlpy.audit",
             "mlpy.sandbox", "mlpy.compiler"}


class Catch(logging.Handler):
    """Keeps every record it is given."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def of(self, name: str) -> list[logging.LogRecord]:
        return [r for r in self.records if r.name == name]


@contextlib.contextmanager
def caught(logger_name: str = "mlpy", level: int = logging.DEBUG):
    logger = logging.getLogger(logger_name)
    handler, old_level = Catch(), logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@pytest.fixture
def restore_mlpy_logger():
    """Undo configure(): its handler, the level and propagation of the mlpy logger."""
    logger = logging.getLogger("mlpy")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


# ----------------------------------------------------------------------------- the tree


def test_the_tree_has_the_specified_loggers_all_under_mlpy_with_the_filter():
    assert SPEC_TREE <= set(TREE)
    for name in TREE:
        logger = logging.getLogger(name)
        assert name == "mlpy" or name.startswith("mlpy.")
        assert any(isinstance(f, ExecutionIdFilter) for f in logger.filters), name


def test_importing_mlpy_adds_no_handler_but_a_null_one():
    handlers = logging.getLogger("mlpy").handlers
    assert all(isinstance(h, logging.NullHandler) or getattr(h, "_mlpy_configured", False)
               for h in handlers)
    assert not any(getattr(h, "_mlpy_configured", False) for h in logging.getLogger().handlers)


# ----------------------------------------------------------------------------- levels


def test_an_ml_error_is_logged_at_debug_only():
    engine = mlpy.Engine()
    with caught() as catch:
        result = engine.execute('x = {"a": 1}; result = x["b"];')
    [record] = catch.of("mlpy.engine")
    assert record.levelno == logging.DEBUG
    assert record.execution_id == result.execution_id
    assert record.error_type == "MLRuntimeError" and record.error_code == "MLR001"
    assert "key 'b' not found" in record.getMessage()  # the full report, at DEBUG


def test_a_syntax_error_and_a_denied_capability_are_debug_too():
    engine = mlpy.Engine()
    with caught() as catch:
        engine.execute("result = 1 +;")
        denied = engine.execute('import env; result = env.get("HOME");')
    engine_levels = {r.levelno for r in catch.of("mlpy.engine")}
    assert engine_levels == {logging.DEBUG}
    [capability] = catch.of("mlpy.capabilities")
    assert capability.levelno == logging.DEBUG and capability.required_capability == "env.read"
    assert capability.execution_id == denied.execution_id  # from the context, not extra=
    [audit] = catch.of("mlpy.audit")
    assert audit.levelno == logging.INFO and audit.getMessage().startswith("deny")


def test_a_timeout_is_info_with_its_report_at_debug():
    with caught() as catch:
        result = mlpy.Engine().execute("while (true) { }", timeout=0.05)
    info, debug = catch.of("mlpy.engine")
    assert info.levelno == logging.INFO and debug.levelno == logging.DEBUG
    assert info.getMessage() == "the execution failed: MLTimeoutError MLL001 at <string>:1:1"
    assert info.execution_id == debug.execution_id == result.execution_id


def test_a_host_function_that_raised_is_a_warning_with_its_traceback_at_debug():
    @mlpy.host_function
    def lookup():
        raise LookupError("the directory is down")

    with caught() as catch:
        mlpy.Engine().execute("result = lookup();", {"lookup": lookup})
    warning, debug = catch.of("mlpy.engine")
    assert warning.levelno == logging.WARNING and warning.exc_info is None
    assert "the directory is down" not in warning.getMessage()
    assert debug.levelno == logging.DEBUG and debug.exc_info is not None


def test_level_for_covers_every_kind_of_outcome():
    assert level_for(mlpy.MLRuntimeError("x")) == logging.DEBUG
    assert level_for(mlpy.CapabilityError("x")) == logging.DEBUG
    assert level_for(mlpy.MLTimeoutError("x")) == logging.INFO
    assert level_for(mlpy.MLCancelledError("x")) == logging.INFO
    assert level_for(mlpy.MLResourceError("x", resource="memory")) == logging.INFO
    assert level_for(mlpy.MLBackpressureError("x")) == logging.INFO
    assert level_for(MLHostError("x")) == logging.WARNING
    assert level_for(mlpy.MLSandboxError("x")) == logging.WARNING
    assert level_for(KeyError("x")) == logging.ERROR


def test_backpressure_is_info_and_a_stuck_worker_a_warning_then_unhealthy_an_error(blocker):
    aio = pytest.importorskip("mlpy.aio")
    block, entered, release = blocker
    executor = aio.AsyncEngine(max_workers=1, max_pending=1, cancel_grace=0.05)
    try:
        with caught() as catch:
            stuck = executor.submit("result = block();", variables={"block": block},
                                    timeout=0.05)
            wait_until(entered.is_set)
            queued = executor.submit("result = 1;")
            refused = executor.submit("result = 2;").result(30)
            assert stuck.result(30).timed_out
            release.set()
            assert queued.result(30).value == 1
    finally:
        release.set()
        executor.shutdown()
    assert refused.error_info.code == "backpressure"
    records = catch.of("mlpy.async")
    levels = [r.levelno for r in records]
    assert levels == [logging.INFO, logging.WARNING, logging.ERROR], [
        r.getMessage() for r in records]
    assert "the queue is full" in records[0].getMessage()
    assert records[0].execution_id == refused.execution_id
    assert "set aside as stuck" in records[1].getMessage()
    assert records[1].execution_id == stuck.result().execution_id
    assert "unhealthy" in records[2].getMessage()


def test_a_sandbox_worker_that_crashed_is_an_error(sandboxed):
    assert sandboxed.execute("result = 1;", timeout=30).ok  # the worker is warm
    with caught() as catch:
        crashed: dict = {}
        runner = threading.Thread(target=lambda: crashed.update(
            result=sandboxed.execute("while (true) { }", timeout=60)))
        runner.start()
        wait_until(lambda: any(w["execution_id"] for w in sandboxed._pool.workers()))
        pid = next(w["pid"] for w in sandboxed._pool.workers() if w["execution_id"])
        os.kill(pid, 9)
        runner.join(60)
    assert isinstance(crashed["result"].error, mlpy.MLSandboxError)
    [ended] = [r for r in catch.of("mlpy.sandbox") if r.levelno > logging.DEBUG]
    assert ended.levelno == logging.ERROR and ended.reason == "crash(SIGKILL)"
    assert ended.execution_id == crashed["result"].execution_id
    [engine] = [r for r in catch.of("mlpy.engine") if r.levelno > logging.DEBUG]
    assert engine.levelno == logging.WARNING and engine.error_type == "MLSandboxError"


# ----------------------------------------------------------------------------- execution ids


def test_handlers_mlpy_did_not_install_see_the_execution_id():
    """A handler on the root logger gets the attribute on records of the tree."""
    root = logging.getLogger()
    handler, old = Catch(), root.level
    root.addHandler(handler)
    logging.getLogger("mlpy").setLevel(logging.DEBUG)
    try:
        result = mlpy.Engine().execute('import env; result = env.get("HOME");')
    finally:
        root.removeHandler(handler)
        logging.getLogger("mlpy").setLevel(logging.NOTSET)
        root.setLevel(old)
    ours = [r for r in handler.records if r.name.startswith("mlpy")]
    assert ours and all(r.execution_id == result.execution_id for r in ours)


def test_the_application_adds_the_filter_to_see_the_id_in_its_own_records():
    app_logger = logging.getLogger("tests.app")
    catch = Catch()
    catch.addFilter(ExecutionIdFilter())
    app_logger.addHandler(catch)
    app_logger.setLevel(logging.INFO)

    @mlpy.host_function
    def audit_order(order_id):
        app_logger.info("order %s checked", order_id)
        return True

    try:
        result = mlpy.Engine().execute("result = audit_order(7);", {"audit_order": audit_order})
        app_logger.info("outside")
    finally:
        app_logger.removeHandler(catch)
    inside, outside = catch.records
    assert inside.execution_id == result.execution_id and outside.execution_id is None


def test_a_record_outside_executions_has_none_and_an_explicit_id_wins():
    with caught() as catch:
        logging.getLogger("mlpy.engine").info("outside")
        logging.getLogger("mlpy.engine").info("given", extra={"execution_id": "abc"})
    assert [r.execution_id for r in catch.records] == [None, "abc"]


def test_logging_never_creates_an_id_for_an_execution_that_has_none():
    state = ExecutionState()
    token = CURRENT.set(state)
    try:
        with caught() as catch:
            logging.getLogger("mlpy.engine").info("inside an execution without an id")
    finally:
        CURRENT.reset(token)
    assert catch.records[0].execution_id is None
    assert state._id is None  # noqa: SLF001 - the point of the test


def test_records_of_other_mlpy_loggers_get_the_id_through_the_configured_handler(
        restore_mlpy_logger):
    stream = io.StringIO()
    configure("DEBUG", "json", stream=stream)
    plugin = logging.getLogger("mlpy.plugins.pricing")  # made by no mlpy module

    @mlpy.host_function
    def note():
        plugin.warning("pricing rule used")
        return 1

    result = mlpy.Engine().execute("result = note();", {"note": note})
    [entry] = [json.loads(line) for line in stream.getvalue().splitlines()
               if json.loads(line)["logger"] == "mlpy.plugins.pricing"]
    assert entry["execution_id"] == result.execution_id


# ----------------------------------------------------------------------------- configure


def test_configure_json_writes_one_object_per_record_on_the_mlpy_logger_only(
        restore_mlpy_logger):
    root_handlers = list(logging.getLogger().handlers)
    stream = io.StringIO()
    handler = configure(level="DEBUG", format="json", stream=stream)
    result = mlpy.Engine().execute("while (true) { }", timeout=0.05)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert logging.getLogger().handlers == root_handlers  # the root logger is untouched
    assert handler in logging.getLogger("mlpy").handlers
    assert not logging.getLogger("mlpy").propagate
    info = next(e for e in entries if e["level"] == "INFO" and e["logger"] == "mlpy.engine")
    assert info["execution_id"] == result.execution_id
    assert info["error_type"] == "MLTimeoutError" and info["error_code"] == "MLL001"
    assert info["ml_line"] == 1 and info["time"].endswith("+00:00")
    assert set(info) >= {"time", "level", "logger", "message", "execution_id"}


def test_configure_text_shows_the_id_and_a_second_call_replaces_the_handler(
        restore_mlpy_logger):
    first = io.StringIO()
    configure("INFO", stream=first)
    stream = io.StringIO()
    configure("INFO", "text", stream=stream)
    result = mlpy.Engine().execute("while (true) { }", timeout=0.05)
    logging.getLogger("mlpy.engine").info("outside")
    lines = stream.getvalue().splitlines()
    assert first.getvalue() == ""
    assert sum(getattr(h, "_mlpy_configured", False)
               for h in logging.getLogger("mlpy").handlers) == 1
    assert f"INFO mlpy.engine [{result.execution_id}] the execution failed: " \
           "MLTimeoutError MLL001" in lines[0]
    assert lines[1].endswith("INFO mlpy.engine [-] outside")


def test_configure_can_keep_propagating_to_the_root_logger(restore_mlpy_logger):
    configure("INFO", stream=io.StringIO(), propagate=True)
    assert logging.getLogger("mlpy").propagate


@pytest.mark.parametrize("options, match", [
    ({"format": "xml"}, "'text' or 'json'"),
    ({"level": "LOUD"}, "unknown logging level"),
    ({"level": True}, "unknown logging level"),
])
def test_bad_options_are_configuration_errors(options, match, restore_mlpy_logger):
    with pytest.raises(MLConfigurationError, match=match):
        configure(**options)


def test_get_logger_takes_only_mlpy_names():
    assert mlpy_logging.get_logger("mlpy.extra").name == "mlpy.extra"
    with pytest.raises(MLConfigurationError):
        mlpy_logging.get_logger("myapp")


def test_describe_names_an_error_without_its_message():
    error = mlpy.Engine().execute('secret = "x"; result = secret / 2;').error
    assert describe(error).startswith("MLRuntimeError MLR001 at <string>:1:")
    assert describe(KeyError("k")) == "KeyError"


# ----------------------------------------------------------------------------- no secrets


SECRET = "S3CR3T-7f1d"


def secret_failures():
    """Failing ML programs, callbacks and requests that carry SECRET in their source,
    their variables, their thrown values, their host functions' errors and their
    resources; they are run with every mlpy logger at DEBUG."""
    engine = mlpy.Engine(audit=AuditLog(redact=True))

    @mlpy.host_function
    def vault(token):
        raise PermissionError(f"the vault refused token {token}")

    programs = [
        (f'x = {{"a": 1}}; result = x["{SECRET}"];', {}),
        (f'password = "{SECRET}"; result = 1 +;', {}),
        ('result = token / 2;', {"token": SECRET}),
        ('throw {message: token, code: token};', {"token": SECRET}),
        (f'note = "{SECRET}"; while (true) {{ }}', {}),
        ('result = vault(token);', {"vault": vault, "token": SECRET}),
        ('import env; result = env.get(token);', {"token": SECRET}),
        ("import file; result = file.read(path);", {"path": f"/{SECRET}"}),
        (f'function f(n) {{ return f(n + 1); }} s = "{SECRET}"; result = f(0);', {}),
    ]
    for source, variables in programs:
        assert not engine.execute(source, variables, timeout=0.2,
                                  capabilities=["file.read:/srv/allowed/**"]).ok

    callbacks = pytest.importorskip("mlpy.callbacks")
    session = engine.session()
    session.exec("function boom(x) { throw {message: x}; }")
    assert callbacks.ml_callback(session, "boom", default_return=None)(SECRET) is None
    from mlpy.integration.http import log_error

    log_error(engine.execute("result = vault(token);", {"vault": vault, "token": SECRET})
              .error)
    aio = pytest.importorskip("mlpy.aio")
    with aio.AsyncEngine(engine) as executor:
        assert not executor.submit("result = token / 0;",
                                   variables={"token": SECRET}).result(30).success


def formatted(record: logging.LogRecord) -> str:
    """Everything a handler could write for a record: the text form with its traceback and
    the JSON form with every extra field."""
    text = logging.Formatter("%(message)s").format(record)
    return text + "\n" + JSONFormatter().format(record)


def test_no_record_above_debug_carries_source_text_or_values():
    with caught() as catch:
        secret_failures()
    above = [r for r in catch.records if r.levelno > logging.DEBUG]
    leaking = [formatted(r) for r in above if SECRET in formatted(r)]
    assert not leaking, leaking
    # The test sees what it should: records above DEBUG from several loggers, and the
    # secret in the DEBUG reports.
    assert {"mlpy.engine", "mlpy.callbacks", "mlpy.integration", "mlpy.audit"} <= {
        r.name for r in above}
    assert any(SECRET in formatted(r) for r in catch.records if r.levelno == logging.DEBUG)


def test_audit_events_name_the_resource_unless_the_audit_log_redacts():
    program = "import file; result = file.read(name);"
    options = {"capabilities": ["file.read:/srv/allowed/**"]}
    with caught("mlpy.audit") as catch:
        mlpy.Engine().execute(program, {"name": f"/{SECRET}"}, **options)
        mlpy.Engine(audit=AuditLog(redact=True)).execute(program, {"name": f"/{SECRET}"},
                                                         **options)
    plain, redacted = [r for r in catch.records if r.getMessage().startswith("deny")]
    assert SECRET in plain.getMessage() and SECRET not in redacted.getMessage()
