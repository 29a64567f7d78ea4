"""Every JavaScript difference the guide states is an ML snippet that runs as it says."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_data_js_differences_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()

# The snippets docs/guide/coming-from-javascript.md includes: none may go missing.
SHOWN = ["arithmetic", "calls", "equality", "for_in", "hoisting", "in_operator", "indexing",
         "js_methods", "membership", "operators", "plus_variables", "same", "scope", "sorting",
         "strings", "triple_equals", "truthiness"]


def test_every_snippet_the_page_shows_exists():
    assert app.snippet_names() == SHOWN


@pytest.mark.parametrize("name", SHOWN)
def test_a_snippet_prints_what_its_comments_say(name):
    output, error = app.run_snippet(name)
    expected_output, expected_error = app.expected(name)
    assert output.splitlines() == expected_output
    if expected_error:
        assert error is not None, f"{name}.ml should fail"
        for line in expected_error:
            assert line in error
    else:
        assert error is None, error


def test_main_runs_one_snippet(capsys):
    app.main(["hoisting"])
    assert capsys.readouterr().out == (
        "== hoisting.ml\nhoisting.ml:2:1: error: 'greet' is not defined [MLR001]\n")
