"""The compiler is bounded: no program makes compiling take time out of proportion to its size.

Adversarial programs of about 100 KB, made by the generators of benchmarks/compile_bench.py,
compile in a child process that must finish well within a generous timeout, in the cases
where compiling used to take minutes (kind inference over a long chain of assignments, "did
you mean" over thousands of names). Where code generation used to double its work and its
output at every level of nesting, the size of the generated code is compared at two depths:
it must grow in proportion.
"""

from __future__ import annotations

import ast as py
import json
import subprocess
import sys
from pathlib import Path

import pytest

import mlpy
from mlpy.language.codegen import Generator

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "compile_bench.py"
TIMEOUT = 30  # seconds; these programs compile in about 2 s, and used to take minutes


@pytest.mark.parametrize("case", ["assignment_chain", "misspelled_names"])
def test_adversarial_programs_of_100_kb_compile_in_bounded_time(case):
    command = [sys.executable, str(BENCH), "--child", case, "100000"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"compiling {case} took more than {TIMEOUT} s")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["bytes"] >= 100_000
    assert report["outcome"].startswith("ok" if case == "assignment_chain" else "MLC001")


NESTINGS = {  # a level of nesting, around `{}` (the level inside)
    "right operand of +": "x + ({})",
    "right operand of %": "x % (1 + {})",
    "call on the right of +": "x + f({})",
    "left operand of +": "({}) + x",
    "string method argument": "s.strip({})",
    "array method argument": "a.append({})",
}


def generate(level: str, depth: int, monkeypatch) -> tuple[int, int]:
    """The size of the code generated for ``depth`` levels of nesting, and how many times
    the code generator made the code of an expression to get it."""
    inner = "x"
    for _ in range(depth):
        inner = level.format(inner)
    calls = 0
    original = Generator.expr

    def counted(self, node):
        nonlocal calls
        calls += 1
        return original(self, node)

    monkeypatch.setattr(Generator, "expr", counted)
    program = mlpy.Engine(cache_size=0).compile(
        f"function f(v) {{ return v; }} x = 1; s = 'a'; a = [1]; y = {inner};")
    monkeypatch.setattr(Generator, "expr", original)
    return sum(1 for _ in py.walk(program._tree)), calls


@pytest.mark.parametrize("name", list(NESTINGS))
def test_generated_code_grows_in_proportion_to_nesting(name, monkeypatch):
    # Each level of nesting is generated once: twice the depth, about twice the code and the
    # work (the code generator used to make an operand twice, or put it in both branches of a
    # type test: 64 times the code, or the work, for twice the depth).
    small, small_work = generate(NESTINGS[name], 6, monkeypatch)
    large, large_work = generate(NESTINGS[name], 12, monkeypatch)
    assert large < 3 * small, (small, large)
    assert large_work < 3 * small_work, (small_work, large_work)


def test_kind_inference_follows_assignments_written_in_any_order():
    # `a3` holds numbers because `a2` does because `a1` does: the assignments below decide
    # the ones above, and `%` on a proven number compiles to Python's own `%`.
    names = [f"a{i}" for i in range(400)]
    lines = [f"{name} = {previous} + 1;" for previous, name in zip(names, names[1:])]
    source = "function f() {\n%s\n%s = 0;\nreturn %s %% 2;\n}" % (
        "\n".join(reversed(lines)), names[0], names[-1])
    assert "__ml_mod" not in mlpy.transpile(source).python_code
    rebound = source.replace(f"{names[0]} = 0;", f"{names[0]} = 0; {names[0]} = 'text';")
    assert "__ml_mod" in mlpy.transpile(rebound).python_code


def test_suggestions_stay_useful_among_thousands_of_names():
    names = "".join(f"quantity_{i} = {i};\n" for i in range(5000))
    source = names + "function f() { total_price = 1; return total_prize; }\n"
    with pytest.raises(mlpy.MLCompileError) as caught:
        mlpy.compile(source)
    assert "did you mean: total_price?" in caught.value.hints
    typos = names + "".join(f"y = quantiyt_{i};\n" for i in range(200))
    with pytest.raises(mlpy.MLCompileError) as caught:
        mlpy.compile(typos)
    errors = [d for d in caught.value.diagnostics if d.code == "MLC001"]
    assert len(errors) == 200  # every one reported; the first ones with a suggestion
    assert errors[0].suggestions[0].startswith("did you mean: quantity_0")
