#!/usr/bin/env python
"""Compile time on large and adversarial programs: is the compiler bounded?

Usage::

    python benchmarks/compile_bench.py [--size BYTES ...] [--case NAME ...] [--timeout S]

Each case below generates an ML program of about the given size (100 KB and 1 MB by
default) built to stress one pass of the compiler: long flat chains for the parser and the
depth check, long chains of assignments for kind inference, thousands of names and of
misspellings for the "did you mean" suggestions, deep but allowed nesting, many functions,
long strings, many errors for the report. Each program is compiled in a child process (so a
pathological case cannot stall the run) by ``mlpy.Engine(cache_size=0).compile``, and a
failing compile also formats its report, as a host printing the error would.

The table shows the seconds each took, the outcome (``ok``, or the error code and the size
of the report) and microseconds per source byte, which stays about the same from 100 KB to
1 MB when the compiler is linear. Reports only; never fails because a machine is slow.

The generators are also used by tests/security/test_compile_bounds.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent


def _fill(size: int, piece: Callable[[int], str], head: str = "", tail: str = "",
          separator: str = "") -> str:
    """``head``, then ``piece(0)``, ``piece(1)``, ... until the text reaches ``size``."""
    parts, length, i = [head], len(head) + len(tail), 0
    while length < size:
        text = piece(i)
        parts.append(text)
        length += len(text) + len(separator)
        i += 1
    return head + separator.join(parts[1:]) + tail


def long_sum(size: int) -> str:
    """One line: ``x = 1 + 1 + 1 ...;``."""
    return _fill(size, lambda i: "1", "x = ", ";\nprint(x);\n", " + ")


def mixed_operators(size: int) -> str:
    """One line of every binary operator, comparisons and logic included."""
    ops = ["+", "-", "*", "//", "%", "+", "<", "==", "&&", "||"]
    return _fill(size, lambda i: f"{ops[i % len(ops)]} {i % 7 + 1} ", "x = 1 ", ";\n")


def member_chain(size: int) -> str:
    """``o.a.a.a...`` through an object that holds itself, then a method chain."""
    half = size // 2
    members = _fill(half, lambda i: ".a", "o = {}; o.a = o; y = o", ";\n")
    methods = _fill(half, lambda i: ".strip()", "s = ' x '; z = s", ";\nprint(z);\n")
    return members + methods


def call_chain(size: int) -> str:
    """``f()()()...`` and ``a[0][0]...``."""
    half = size // 2
    calls = _fill(half, lambda i: "()", "function f() { return f; } g = f", ";\n")
    indexes = _fill(half, lambda i: "[0]", "a = [0]; a[0] = a; b = a", ";\n")
    return calls + indexes


def string_concat(size: int) -> str:
    """``"a" + x + "b" + ...`` and a long chain of literals only."""
    half = size // 2
    mixed = _fill(half, lambda i: f'"s{i}" + n', "n = 1; s = ", ";\n", " + ")
    literals = _fill(half, lambda i: f'"t{i}"', "t = ", ";\n", " + ")
    return mixed + literals


def elif_chain(size: int) -> str:
    """``if ... elif ... elif ...`` and a chain of ternaries."""
    half = size // 2
    branches = _fill(half, lambda i: f"elif (x == {i}) {{ y = {i}; }}\n",
                     "x = 3; y = 0;\nif (x < 0) { y = -1; }\n")
    ternary = _fill(half, lambda i: f"x == {i} ? {i} : ", "z = ", "0;\n")
    return branches + ternary


def assignment_chain(size: int) -> str:
    """Inside a function, ``a1 = a0 + 1; a2 = a1 + 1; ...`` written last first, so that
    what each name holds is only known after the assignments below it are."""
    count = size // 16
    lines = [f"    a{i + 1} = a{i} + 1;\n" for i in reversed(range(count))]
    return "function f() {\n" + "".join(lines) + "    a0 = 0;\n    return a%d;\n}\n" % count


def many_names(size: int) -> str:
    """Thousands of top-level names, each assigned and read."""
    return _fill(size, lambda i: f"value_{i} = {i}; total = value_{i} + 1;\n", "total = 0;\n")


def misspelled_names(size: int) -> str:
    """Thousands of names, then reads of misspellings of them: one error (with a "did you
    mean") each."""
    names = _fill(size // 2, lambda i: f"quantity_{i} = {i};\n")
    typos = _fill(size // 2, lambda i: f"y = quantiyt_{i};\n")
    return names + typos


def deep_nesting(size: int) -> str:
    """Blocks, parentheses, brackets and calls nested as deep as the compiler allows, again
    and again."""
    blocks = "if (x) { " * 40 + "y = 1; " + "}" * 40 + "\n"
    parens = "y = " + "(1 + " * 40 + "1" + ")" * 40 + ";\n"
    lists = "y = " + "[" * 40 + "]" * 40 + ";\n"
    calls = "y = " + "f(" * 40 + "1" + ")" * 40 + ";\n"
    unit = blocks + parens + lists + calls
    return _fill(size, lambda i: unit, "x = 1; function f(v) { return v; }\n")


def many_functions(size: int) -> str:
    """Thousands of small functions, each calling the previous one."""
    return _fill(size, lambda i: f"function f{i + 1}(n) {{ if (n > 0) {{ return f{i}(n - 1) "
                                 f"+ {i}; }} return n; }}\n", "function f0(n) { return n; }\n")


def long_strings(size: int) -> str:
    """String literals of 10 KB, with escapes."""
    text = "abc\\n\\t" * 1250
    return _fill(size, lambda i: f's{i} = "{text}";\n')


def many_errors(size: int) -> str:
    """Thousands of errors of different kinds, all reported at once."""
    kinds = ["x = __hidden{i};\n", "y = unknown{i} + 1;\n", "z = eval{i}(1);\n",
             "break;\n", "function g{i}(a, a) {{ return a; }}\n"]
    return _fill(size, lambda i: kinds[i % len(kinds)].format(i=i))


def error_at_end_of_long_line(size: int) -> str:
    """A syntax error at the end of a 1 MB line: the report must not echo the line."""
    return _fill(size, lambda i: "1", "x = ", " + ;\n", " + ")


CASES: dict[str, Callable[[int], str]] = {
    "long_sum": long_sum,
    "mixed_operators": mixed_operators,
    "member_chain": member_chain,
    "call_chain": call_chain,
    "string_concat": string_concat,
    "elif_chain": elif_chain,
    "assignment_chain": assignment_chain,
    "many_names": many_names,
    "misspelled_names": misspelled_names,
    "deep_nesting": deep_nesting,
    "many_functions": many_functions,
    "long_strings": long_strings,
    "many_errors": many_errors,
    "error_at_end_of_long_line": error_at_end_of_long_line,
}


def compile_case(name: str, size: int) -> dict:
    """Generate and compile one case here; what happened, and how long it took."""
    import mlpy

    source = CASES[name](size)
    engine = mlpy.Engine(cache_size=0)
    engine.compile("x = 1;")  # build the parser and the engine first: not timed
    start = time.perf_counter()
    try:
        engine.compile(source, filename=f"{name}.ml")
        outcome = "ok"
    except mlpy.MLError as error:
        report = str(error)
        outcome = f"{error.code}, report {len(report):,} chars"
    return {"seconds": time.perf_counter() - start, "outcome": outcome, "bytes": len(source)}


def run_child(name: str, size: int, timeout: float) -> dict:
    command = [sys.executable, __file__, "--child", name, str(size)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"seconds": None, "outcome": f"not done after {timeout:g} s", "bytes": size}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"seconds": None, "outcome": f"crashed: {last[:70]}", "bytes": size}
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, action="append",
                        help="program size in bytes (repeatable; default 100 KB and 1 MB)")
    parser.add_argument("--case", action="append", choices=sorted(CASES),
                        help="run only this case (repeatable)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a case may take before it is reported as not done")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(compile_case(args.child[0], int(args.child[1]))))
        return
    sizes = args.size or [100_000, 1_000_000]
    print(f"{'case':28} {'size':>9} {'seconds':>8} {'us/byte':>8}  outcome")
    for name in args.case or CASES:
        for size in sizes:
            result = run_child(name, size, args.timeout)
            seconds = result["seconds"]
            shown = "-" if seconds is None else f"{seconds:.2f}"
            per_byte = "-" if seconds is None else f"{seconds / result['bytes'] * 1e6:.2f}"
            print(f"{name:28} {result['bytes']:>9,} {shown:>8} {per_byte:>8}  "
                  f"{result['outcome']}", flush=True)


if __name__ == "__main__":
    if str(HERE.parent) not in sys.path:
        try:
            import mlpy  # noqa: F401
        except ImportError:  # running from a checkout without installing
            sys.path.insert(0, str(HERE.parent))
    main()
