"""End-to-end checks of the one-line API: the first things a new user runs."""

import mlpy


def test_execute_binds_inputs_and_returns_result():
    result = mlpy.execute("total = price * qty; result = total;", {"price": 2.5, "qty": 4})
    assert result.ok
    assert result.value == 10.0
    assert result.globals["total"] == 10.0


def test_runtime_error_points_at_ml_line():
    result = mlpy.execute("x = 1;\ny = 0;\nz = x / y;\n", filename="calc.ml")
    assert not result.ok
    assert isinstance(result.error, mlpy.MLRuntimeError)
    assert result.error.kind == "division_by_zero"
    assert (result.error.ml_file, result.error.ml_line, result.error.ml_column) == ("calc.ml", 3, 5)
    assert "  3 | z = x / y;" in str(result.error)


def test_timeout_cannot_be_caught_by_ml():
    source = "while (true) { try { x = 1; } except (e) { print('caught'); } }"
    result = mlpy.execute(source, timeout=0.2, capture_output=True)
    assert isinstance(result.error, mlpy.MLTimeoutError)
    assert result.stdout == ""
