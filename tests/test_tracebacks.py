"""Errors that cross ML -> host -> ML keep every ML frame, with the host's part named
``<host name>``, and point at the innermost ML position."""

from __future__ import annotations

import pytest

import mlpy
from mlpy.errors import error_from_dict

BAD = "function bad(x) {\n  return x / 0;\n}\n"


@mlpy.host_function
def apply_all(fn, items):
    return [fn(item) for item in items]


def _names(error):
    return [frame.function for frame in error.ml_traceback]


def test_a_callback_failing_inside_a_host_function_reports_its_own_frame():
    source = BAD + "function outer() {\n  return apply_all(bad, [1]);\n}\nresult = outer();"
    error = mlpy.execute(source, {"apply_all": apply_all}, filename="cb.ml").error
    assert isinstance(error, mlpy.MLRuntimeError)
    assert error.kind == "division_by_zero"
    assert (error.ml_file, error.ml_line) == ("cb.ml", 2)
    assert [(f.file, f.line, f.function) for f in error.ml_traceback] == [
        ("cb.ml", 7, "<program>"), ("cb.ml", 5, "outer"), ("", 0, "<host apply_all>"),
        ("cb.ml", 2, "bad")]
    assert "outer (line 5) -> <host apply_all> -> bad (line 2)" in str(error)


def test_a_function_handle_called_by_a_host_function_reports_its_frames():
    session = mlpy.Engine().session()
    session.exec(BAD, filename="lib.ml")
    handle = session.function("bad")

    @mlpy.host_function
    def via_handle(x):
        return handle(x)

    error = mlpy.execute("function outer() {\n  return via_handle(1);\n}\nresult = outer();",
                         {"via_handle": via_handle}, filename="app.ml").error
    assert error.kind == "division_by_zero"
    assert (error.ml_file, error.ml_line) == ("lib.ml", 2)
    assert _names(error) == ["<program>", "outer", "<host via_handle>", "bad"]


def test_a_standard_library_function_calling_back_is_named_by_its_ml_name():
    error = mlpy.execute("import functional;\n" + BAD + "result = functional.map(bad, [1]);",
                         filename="f.ml").error
    assert _names(error) == ["<program>", "<host functional.map>", "bad"]
    assert error.ml_line == 3


def test_two_crossings_keep_every_frame():
    @mlpy.host_function
    def twice(fn, x):
        return fn(x)

    source = (BAD + "function middle(x) {\n  return twice(bad, x);\n}\n"
              "function top() {\n  return twice(middle, 1);\n}\nresult = top();")
    error = mlpy.execute(source, {"twice": twice}).error
    assert _names(error) == ["<program>", "top", "<host twice>", "middle", "<host twice>",
                             "bad"]


def test_ml_code_catches_the_callback_error_itself():
    source = BAD + ("try { apply_all(bad, [1]); } except (e) { result = [e.type, e.message]; }")
    result = mlpy.execute(source, {"apply_all": apply_all})
    assert result.value == ["ZeroDivisionError", "division by zero"]


def test_a_failure_of_the_host_function_itself_is_still_a_host_error():
    @mlpy.host_function
    def broken(fn):
        raise LookupError("no such order")

    error = mlpy.execute(BAD + "result = broken(bad);", {"broken": broken}).error
    assert isinstance(error, mlpy.MLHostError)
    assert "no such order" in error.message
    assert isinstance(error.__cause__, LookupError)


def test_host_frames_survive_the_wire_form():
    source = BAD + "result = apply_all(bad, [1]);"
    error = mlpy.execute(source, {"apply_all": apply_all}).error
    again = error_from_dict(error.to_dict())
    assert again.ml_traceback == error.ml_traceback


@pytest.mark.parametrize("call", ["handle", "raw"])
def test_a_call_from_the_host_reports_the_ml_frames_and_the_python_cause(call):
    session = mlpy.Engine().session()
    session.exec(BAD + "function outer(x) {\n  return bad(x);\n}", filename="lib.ml")
    fn = session.function("outer") if call == "handle" else session.get("outer")
    with pytest.raises(mlpy.MLRuntimeError) as caught:
        fn(1)
    assert _names(caught.value) == ["outer", "bad"]
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


def test_positions_survive_an_equal_compile_that_was_dropped():
    """Two engines compile the same source under the same file name; dropping one program
    must not cost the other its positions."""
    import gc

    source = "x = 1;\nif (x < 2) { throw {message: \"no\"}; }\n"
    kept = mlpy.Engine().compile(source, filename="same.ml")
    dropped = mlpy.Engine().compile(source, filename="same.ml")
    del dropped
    gc.collect()
    error = mlpy.Engine().execute(kept).error
    assert (error.ml_file, error.ml_line) == ("same.ml", 2)
