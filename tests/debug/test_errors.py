"""Errors across the ML/host boundary (spec §6.3): MLFrame stacks innermost last through
host -> ML -> host -> ML chains, ``format()`` and ``to_dict()``, and thrown payloads in every
isolation mode (in process, on an async worker, in a sandbox worker process)."""

from __future__ import annotations

import asyncio
import json

import pytest

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.errors import MLFrame, error_from_dict
from mlpy.sandbox import SandboxConfig

RULES = """\
function check(order) {
    return order.total / order.count;
}
function each(orders) {
    return apply_all(check, orders);
}
function audit(orders) {
    return each(orders);
}
"""


@mlpy.host_function
def apply_all(fn, items):
    return [fn(item) for item in items]


def test_frames_through_host_ml_host_ml_are_innermost_last():
    """The host calls `audit` (host -> ML); ML calls the host's apply_all, which calls ML's
    `check` back (ML -> host -> ML)."""
    session = mlpy.Engine().session(variables={"apply_all": apply_all})
    session.exec(RULES, filename="rules.ml")
    audit = session.function("audit")
    with pytest.raises(mlpy.MLRuntimeError) as caught:
        audit([{"total": 10, "count": 2}, {"total": 1, "count": 0}])
    error = caught.value
    assert error.kind == "division_by_zero"
    assert error.ml_traceback == [
        MLFrame("rules.ml", 8, 12, "audit", "    return each(orders);"),
        MLFrame("rules.ml", 5, 12, "each", "    return apply_all(check, orders);"),
        MLFrame("", 0, 0, "<host apply_all>"),
        MLFrame("rules.ml", 2, 12, "check", "    return order.total / order.count;"),
    ]
    assert (error.ml_file, error.ml_line, error.ml_column) == ("rules.ml", 2, 12)


def test_a_second_crossing_keeps_both_host_entries():
    @mlpy.host_function
    def twice(fn, x):
        return fn(x)

    source = ("function bad(x) {\n    return x / 0;\n}\n"
              "function middle(x) {\n    return twice(bad, x);\n}\n"
              "result = twice(middle, 1);\n")
    error = mlpy.execute(source, {"twice": twice}, filename="two.ml").error
    assert [(f.function, f.line) for f in error.ml_traceback] == [
        ("<program>", 7), ("<host twice>", 0), ("middle", 5), ("<host twice>", 0), ("bad", 2)]
    assert [f.is_host for f in error.ml_traceback] == [False, True, False, True, False]


def test_format_shows_each_frame_with_its_line_and_a_caret():
    error = mlpy.execute(RULES + "result = audit([{total: 1, count: 0}]);\n",
                         {"apply_all": apply_all}, filename="rules.ml").error
    report = error.format()
    lines = report.splitlines()
    hints = [f"hint: {hint}" for hint in error.hints]
    assert lines[0] == "MLRuntimeError: division by zero"
    assert lines[1:] == [
        "  at <program> (rules.ml:10:10)",
        "    result = audit([{total: 1, count: 0}]);",
        "             ^",
        "  at audit (rules.ml:8:12)",
        "    return each(orders);",
        "           ^",
        "  at each (rules.ml:5:12)",
        "    return apply_all(check, orders);",
        "           ^",
        "  at <host apply_all>",
        "  at check (rules.ml:2:12)",
        "    return order.total / order.count;",
        "           ^^^^^^^^^^^^^^^^^^^^^^^^^",
        *hints,
    ]
    assert "Traceback" not in report and "File " not in report
    assert "\x1b[" not in report and "\x1b[" in error.format(color=True)


def test_report_is_the_compiler_style_form_with_the_traceback():
    error = mlpy.execute(RULES + "result = audit([{total: 1, count: 0}]);\n",
                         {"apply_all": apply_all}, filename="rules.ml").error
    lines = error.report().splitlines()
    assert lines[0] == "rules.ml:2:12: error: division by zero [MLR001]"
    start = lines.index("ML traceback (innermost last):")
    assert lines[start + 1:] == error.format().splitlines()[1:len(lines) - start]
    assert "\x1b[" not in error.report() and "\x1b[" in error.report(color=True)


def test_python_frames_only_when_asked():
    error = mlpy.execute("function f(o) {\n    return o.a.b;\n}\nf({});", filename="p.ml").error
    assert "Python frames" not in error.format()
    with_python = error.format(python_frames=True)
    assert with_python.startswith(error.format())
    assert "Python frames (innermost last):" in with_python
    assert 'File "mlpy://' in with_python and ", in f\n" in with_python


def test_a_single_frame_report_is_the_plain_report():
    error = mlpy.execute("x = 1;\ny = x / 0;", filename="one.ml").error
    assert [f.function for f in error.ml_traceback] == ["<program>"]
    assert error.format() == "\n".join([
        "MLRuntimeError: division by zero",
        "  at <program> (one.ml:2:5)",
        "    y = x / 0;",
        "        ^^^^^",
        *(f"hint: {h}" for h in error.hints)])
    assert error.report() == str(error) == (
        "one.ml:2:5: error: division by zero [MLR001]\n"
        "  2 | y = x / 0;\n"
        "    |     ^^^^^\n"
        + "\n".join(f"hint: {h}" for h in error.hints)).rstrip("\n")


def test_to_dict_is_json_and_rebuilds_the_same_frames():
    error = mlpy.execute(RULES + "result = audit([{total: 1, count: 0}]);\n",
                         {"apply_all": apply_all}, filename="rules.ml").error
    data = json.loads(json.dumps(error.to_dict()))
    assert data["type"] == "MLRuntimeError" and data["kind"] == "division_by_zero"
    assert data["ml_traceback"][-1] == {"file": "rules.ml", "line": 2, "column": 12,
                                        "function": "check",
                                        "source_line": "    return order.total / order.count;"}
    assert data["ml_traceback"][3] == {"file": "", "line": 0, "column": 0,
                                       "function": "<host apply_all>", "source_line": ""}
    again = error_from_dict(data)
    assert again.ml_traceback == error.ml_traceback
    # The same frames; only the width of the innermost caret needs the end of the failing
    # expression, which the JSON form leaves out (the sandbox's wire form keeps it).
    frames = again.format().splitlines()
    assert frames[:-1 - len(error.hints)] == error.format().splitlines()[:-1 - len(error.hints)]
    assert frames[-1 - len(error.hints)] == "           ^"


def test_frames_of_the_older_triple_form_still_read():
    again = error_from_dict({"type": "MLRuntimeError", "message": "m",
                             "ml_traceback": [["a.ml", 3, "<program>"], ["", 0, "<host h>"]]})
    assert again.ml_traceback == [MLFrame("a.ml", 3, 0, "<program>"), MLFrame("", 0, 0, "<host h>")]


THROWS = """\
function refuse(order) {
    throw {code: "E42", message: "bad", order: order.id, lines: [1, 2.5, null]};
}
result = refuse({id: 7});
"""
PAYLOAD = {"code": "E42", "message": "bad", "order": 7, "lines": [1, 2.5, None]}


def check_thrown(error):
    assert isinstance(error, mlpy.MLRuntimeError) and error.kind == "thrown"
    assert error.payload == PAYLOAD
    assert error.message == "bad"
    assert error.hints == ["uncaught throw (code E42)"]
    assert [(f.function, f.line, f.column) for f in error.ml_traceback] == [
        ("<program>", 4, 10), ("refuse", 2, 5)]
    assert error.to_dict()["payload"] == PAYLOAD


def test_thrown_payload_in_process():
    check_thrown(mlpy.execute(THROWS, filename="throws.ml").error)


def test_thrown_payload_on_an_async_worker():
    async def run():
        async with AsyncEngine(max_workers=1) as engine:
            return await engine.execute(THROWS)

    result = asyncio.run(run())
    assert not result.success
    check_thrown(result.error_info)


def test_thrown_payload_across_the_sandbox_wire():
    engine = mlpy.Engine(isolation="subprocess", sandbox=SandboxConfig(pool_size=1))
    try:
        result = engine.execute(THROWS, filename="throws.ml")
    finally:
        engine.close()
    check_thrown(result.error)
    assert result.error.ml_traceback[-1].source_line.strip().startswith("throw {code")
    local = mlpy.execute(THROWS, filename="throws.ml").error
    assert result.error.ml_traceback == local.ml_traceback
    assert result.error.format() == local.format()


def test_a_thrown_function_stays_out_of_the_json_form():
    error = mlpy.execute("throw fn(x) => x;").error
    assert error.kind == "thrown" and callable(error.payload)
    assert "payload" not in error.to_dict()
    json.dumps(error.to_dict())


def test_the_message_of_a_thrown_value():
    from mlpy.runtime.values import display  # how print() shows a value

    def thrown(source):
        error = mlpy.execute(source, filename="t.ml").error
        assert error.kind == "thrown"
        return error.message, error.hints

    assert thrown('throw "bare string";') == ("bare string", ["uncaught throw"])
    assert thrown('throw {message: "deep"};') == ("deep", ["uncaught throw"])
    assert thrown('throw {code: "E7", message: "no"};') == ("no", ["uncaught throw (code E7)"])
    assert thrown("throw 42;") == ("42", ["uncaught throw"])
    # A message that is not a string, or no message at all: the whole value, as ML shows it.
    assert thrown("throw {message: 5};")[0] == display({"message": 5})
    assert thrown("throw [1, 2];")[0] == "[1, 2]"


def test_a_thrown_error_reads_the_same_everywhere():
    error = mlpy.execute('throw {code: "E42", message: "bad"};', filename="t.ml").error
    assert error.format().splitlines()[0] == "MLRuntimeError: bad"
    assert str(error).splitlines()[0] == "t.ml:1:1: error: bad [MLR001]"
    assert str(error).splitlines()[-1] == "hint: uncaught throw (code E42)"
    assert error.to_dict()["suggestions"] == ["uncaught throw (code E42)"]
