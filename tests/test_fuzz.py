"""Robustness of the compiler and runtime against arbitrary input (DESIGN §6).

Whatever text a host hands to ``mlpy.compile``, the answer is a :class:`~mlpy.Program` or an
:class:`~mlpy.MLCompileError` (syntax, security or other compile error) that says where -- never
another exception, never a hang, never a warning from the generated Python. Programs that
compile run to an :class:`~mlpy.ExecutionResult` under step and time limits, never raising.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import threading
import warnings

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import mlpy
from mlpy import (
    ExecutionResult, MLCompileError, MLError, MLSecurityError, MLSyntaxError, Program,
)
from mlpy.errors import EXCERPT_WIDTH

FUZZ = settings(max_examples=250, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
COMPILE_SECONDS = 10  # a compile that takes longer is a hang
RUN_SECONDS = 10  # the ML timeout is 1 s; longer means the limit did not work

ENGINE = mlpy.Engine(cache_size=0)  # every example really compiles


class Hang(Exception):
    pass


@contextlib.contextmanager
def hang_guard(seconds: float):
    """Fail (instead of blocking the suite) if the body runs longer than ``seconds``."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal,
                                                                                 "setitimer"):
        yield
        return

    def alarm(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module", autouse=True)
def memory_ceiling():
    """Cap this process's address space while fuzz programs run, so a program that grows a
    string or array without bound fails with MemoryError instead of exhausting the machine."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        with open(f"/proc/{os.getpid()}/statm") as statm:
            in_use = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:  # no /proc (macOS): run without the ceiling
        yield
        return
    ceiling = in_use + (2 << 30)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def compile_or_error(source: str) -> Program | None:
    """Compile ``source``; check the failure is a positioned MLCompileError; no warnings."""
    with hang_guard(COMPILE_SECONDS), warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning about the generated Python is a bug too
        try:
            program = ENGINE.compile(source, filename="fuzz.ml")
        except MLCompileError as error:
            assert type(error) in (MLSyntaxError, MLCompileError, MLSecurityError)
            assert isinstance(error.ml_line, int) and isinstance(error.ml_column, int), error
            assert 1 <= error.ml_line <= source.count("\n") + 1, (error.ml_line, error)
            assert error.ml_column >= 1
            assert error.ml_file == "fuzz.ml"
            assert error.diagnostics, "a compile error lists its diagnostics"
            report = str(error)  # formatting the excerpt never fails
            assert report.startswith(f"fuzz.ml:{error.ml_line}:{error.ml_column}: error: ")
            line = source.split("\n")[error.ml_line - 1].removesuffix("\r").expandtabs(1)
            if line.strip() and line.isprintable():  # the excerpt shows the right line
                shown = report.split(f" {error.ml_line} | ", 1)[1].split("\n", 1)[0]
                assert len(shown) <= EXCERPT_WIDTH + 6, report  # a long line is cut
                assert shown.removeprefix("...").removesuffix("...") in line, report
            return None
    assert isinstance(program, Program)
    return program


def run_checked(program: Program) -> ExecutionResult:
    with hang_guard(RUN_SECONDS), warnings.catch_warnings():
        warnings.simplefilter("error")
        result = ENGINE.execute(program, max_steps=500, timeout=1.0, capture_output=True)
    assert isinstance(result, ExecutionResult)
    assert result.ok == (result.error is None)
    if result.error is not None:
        assert isinstance(result.error, MLError)
        assert isinstance(str(result.error), str)
        assert result.value is None
    assert isinstance(result.stdout, str)
    return result


# ----------------------------------------------------------------------------- strategies

KEYWORDS = ["function", "return", "if", "elif", "else", "while", "for", "in", "try", "except",
            "finally", "throw", "break", "continue", "nonlocal", "import", "as", "capability",
            "resource", "allow", "read", "write", "execute", "network", "system", "fn", "true",
            "false", "null", "undefined"]
NAMES = ["x", "y", "s", "o", "f", "g", "e", "i", "n", "result", "print", "len", "str",
         "typeof", "range", "math", "json", "console", "builtin", "class", "def", "lambda",
         "None", "True", "self", "async", "await", "yield", "_p", "__x", "__class__",
         "__import__", "__ml_T", "__builtins__", "eval", "open", "exec", "globals", "append",
         "length", "keys", "upper"]
PUNCTUATION = ["(", ")", "{", "}", "[", "]", ",", ";", ":", ".", "=", "==", "!=", "<", ">",
               "<=", ">=", "+", "-", "*", "/", "//", "%", "&&", "||", "!", "?", "=>", "**",
               "+=", "===", "@", "#", "$", "\\", "`", "&", "|", "^", "~", "'", '"', "/*", "*/"]
LITERALS = ["0", "1", "-1", "2.5", ".5", "1.", "1e3", "1e309", "007", "0x1F", "1_000",
            "99999999999999999999", '"a"', "'b'", '"\\n"', '"\\x41"', '"\\u00e9"', '"\\d+"',
            '"\\xZZ"', '"\\u12"', '"unterminated', "'", '"x\ny"', "[]", "{}"]
SPACING = [" ", "", "\n", "\t", "\r\n", " // comment\n"]

tokens = st.sampled_from(KEYWORDS + NAMES + PUNCTUATION + LITERALS)
token_soup = st.lists(st.tuples(tokens, st.sampled_from(SPACING)), max_size=40).map(
    lambda pairs: "".join(t + sep for t, sep in pairs))
ml_alphabet = st.text(alphabet="abcfnxyz_019.=;:,(){}[]<>!?+-*/%&|'\"\\ \n\t", max_size=120)


# Structured programs: mostly well-formed, so that many compile and run. Names used as values
# come from a prelude that defines them; right operands of arithmetic are small literals, so
# no program can square a number or double a string on every step.

PRELUDE = ("x = 1; y = [1, 2]; s = 'ab'; o = {k: 1}; n = 0;\n"
           "function f(a) { return a; }\n"
           "function g(a, b) { nonlocal n; n = n + 1; return [a, b]; }\n")
VALUE_NAMES = ["x", "y", "s", "o", "n", "f", "g", "result", "print", "len", "null",
               "undefined", "true", "false"]
TARGETS = ["x", "y", "s", "o", "n", "result", "z", "class", "_p", "__x", "print", "null",
           "fn", "while"]
small_literals = st.sampled_from(["0", "1", "2", "-1", "0.5", "'a'", "''", "[]", "[1]", "{}",
                                  "{k: 2}", "null", "true", "'\\n'", "'\\t'", "'\\x41'"])
operators = st.sampled_from(["+", "-", "*", "/", "//", "%", "==", "!=", "<", ">", "<=", ">=",
                             "&&", "||"])
members = st.sampled_from(["k", "length", "append", "upper", "keys", "missing", "_hidden",
                           "__class__", "if", "sqrt"])


@functools.cache  # shared sub-strategies keep the strategy graph (and its repr) small
def expressions(depth: int = 2) -> st.SearchStrategy[str]:
    leaf = st.one_of(small_literals, st.sampled_from(VALUE_NAMES))
    if depth == 0:
        return leaf
    inner = expressions(depth - 1)
    return st.one_of(
        leaf,
        st.builds(lambda a, op, b: f"{a} {op} {b}", inner, operators, small_literals),
        st.builds(lambda op, a: f"{op}{a}", st.sampled_from(["!", "-"]), inner),
        st.builds(lambda a: f"({a})", inner),
        st.builds(lambda a, b: f"{a}[{b}]", inner, small_literals),
        st.builds(lambda a, b, c: f"{a}[{b}:{c}]", inner, st.sampled_from(["", "0", "1", "-1"]),
                  st.sampled_from(["", "1", "-1"])),
        st.builds(lambda a, m: f"{a}.{m}", inner, members),
        st.builds(lambda name, args: f"{name}({', '.join(args)})",
                  st.sampled_from(["f", "g", "print", "len", "str", "typeof", "int", "float",
                                   "range", "nope", "y.append", "s.upper", "o.keys",
                                   "math.sqrt", "json.dumps", "console.log"]),
                  st.lists(inner, max_size=3)),
        st.builds(lambda a, b, c: f"{a} ? {b} : {c}", inner, inner, inner),
        st.builds(lambda ps, body: f"fn({', '.join(ps)}) => {body}",
                  st.lists(st.sampled_from(["a", "b", "x"]), max_size=2), inner),
        st.builds(lambda items: f"[{', '.join(items)}]", st.lists(inner, max_size=3)),
        st.builds(lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}",
                  st.lists(st.tuples(st.sampled_from(["a", "k", "'s k'", "if", "fn"]), inner),
                           max_size=3)),
    )


@functools.cache
def statements(depth: int = 2, returns: bool = True) -> st.SearchStrategy[str]:
    """ML statements; with ``returns=False`` no `return` outside a function body."""
    expr = expressions(2 if depth else 1)
    simple = [
        st.builds(lambda t, e: f"{t} = {e};", st.sampled_from(TARGETS), expr),
        st.builds(lambda e: f"{e};", expr),
        st.builds(lambda t, i, e: f"{t}[{i}] = {e};", st.sampled_from(["y", "o", "s"]),
                  small_literals, expr),
        st.builds(lambda m, e: f"o.{m} = {e};", members, expr),
        st.builds(lambda e: f"[x, z] = {e};", expr),
        st.builds(lambda e: f"{{k, z}} = {e};", expr),
        st.sampled_from(["break;", "continue;", "nonlocal x;", "nonlocal zz;", "import math;",
                         "import os;", "import math as m;", "x = x + 1;", "n = n - 1;",
                         "s = s + 'c';", "y.append(n);"]),
        st.builds(lambda e: f"throw {e};", expr),
    ]
    if returns:
        simple += [st.just("return;"), st.builds(lambda e: f"return {e};", expr)]
    if depth == 0:
        return st.one_of(simple)
    body = st.lists(statements(depth - 1, returns), max_size=3).map(
        lambda ss: "{ " + " ".join(ss) + " }")
    function_body = st.lists(statements(depth - 1, True), max_size=3).map(
        lambda ss: "{ " + " ".join(ss) + " }")
    return st.one_of(
        *simple,
        st.builds(lambda c, b: f"if ({c}) {b}", expr, body),
        st.builds(lambda c, b, c2, b2, b3: f"if ({c}) {b} elif ({c2}) {b2} else {b3}",
                  expr, body, expr, body, body),
        st.builds(lambda c, b: f"while ({c}) {b}", expr, body),
        st.builds(lambda v, e, b: f"for ({v} in {e}) {b}", st.sampled_from(["i", "x", "_p"]),
                  expr, body),
        st.builds(lambda b, v, h: f"try {b} except ({v}) {h}", body,
                  st.sampled_from(["e", "err"]), body),
        st.builds(lambda b, h, z: f"try {b} except {h} finally {z}", body, body, body),
        st.builds(lambda name, ps, b: f"function {name}({', '.join(ps)}) {b}",
                  st.sampled_from(["h", "f", "print", "__evil", "k2"]),
                  st.lists(st.sampled_from(["a", "b", "x"]), max_size=3), function_body),
    )


programs = st.deferred(lambda: st.lists(statements(), min_size=1, max_size=5).map(
    lambda ss: PRELUDE + "\n".join(ss) + "\n"))
# Chunks for a session. A top-level `return` ends a whole program but only its own chunk in a
# session, so chunks without `return` must behave exactly like their concatenation.
chunks = st.deferred(lambda: st.lists(
    st.lists(statements(2, False), min_size=1, max_size=3).map(lambda ss: "\n".join(ss) + "\n"),
    min_size=2, max_size=3))


# ----------------------------------------------------------------------------- properties


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text_compiles_or_fails_cleanly(source):
    compile_or_error(source)


@FUZZ
@given(ml_alphabet)
def test_ml_alphabet_text_compiles_or_fails_cleanly(source):
    compile_or_error(source)


@FUZZ
@given(token_soup)
def test_token_soup_compiles_or_fails_cleanly(source):
    program = compile_or_error(source)
    if program is not None:
        run_checked(program)


@FUZZ
@given(st.one_of(token_soup, programs))
def test_transpile_returns_code_or_diagnostics(source):
    with hang_guard(COMPILE_SECONDS), warnings.catch_warnings():
        warnings.simplefilter("error")
        result = mlpy.transpile(source, filename="fuzz.ml")
    if result.ok:
        assert isinstance(result.python_code, str)
        assert not [d for d in result.diagnostics if d.severity == "error"]
    else:
        assert result.python_code is None
        errors = [d for d in result.diagnostics if d.severity == "error"]
        assert errors and all(d.line is not None and d.column is not None for d in errors)


@settings(FUZZ, max_examples=300)
@given(programs)
def test_structured_programs_compile_and_run_to_a_result(source):
    program = compile_or_error(source)
    if program is not None:
        run_checked(program)


def _plain(names) -> dict[str, str]:
    """Comparable text of the data names (functions are distinct objects in the two runs, and
    an arrow function's Python name counts the arrows of its program, which differ)."""
    return {k: re.sub(r"<function \S+ at 0x[0-9a-f]+>", "<function>", repr(v))
            for k, v in names.items() if not callable(v)}


@settings(FUZZ, max_examples=200)
@given(chunks)
@example(["result;\n", "result = 0;\n"])  # found by this test
@example(["function get() { return total; }\n", "total = 5;\nprint(get());\n"])
@example(["x = 0;\n", "o.k = fn() => 0;\n"])  # found by this test
def test_session_chunks_match_their_concatenation(parts):
    parts = [PRELUDE, *parts]
    try:
        with hang_guard(COMPILE_SECONDS), warnings.catch_warnings():
            warnings.simplefilter("error")
            whole = ENGINE.compile("".join(parts), filename="whole.ml")
    except MLCompileError:
        return  # a chunk may still run on its own; the comparison needs both to compile
    with hang_guard(RUN_SECONDS):
        expected = ENGINE.execute(whole, max_steps=5000, timeout=1.0, capture_output=True)
    if isinstance(expected.error, mlpy.MLLimitError):
        return  # one budget for the whole program, one per chunk: not comparable
    session = ENGINE.session()
    output, error, last = [], None, None
    with hang_guard(RUN_SECONDS):
        for part in parts:
            last = session.exec(part, max_steps=5000, timeout=1.0, capture_output=True)
            output.append(last.stdout or "")
            if not last.ok:
                error = last.error
                break
    assert not isinstance(error, MLCompileError), f"a chunk of a valid program failed: {error}"
    if isinstance(error, mlpy.MLLimitError):
        return
    assert "".join(output) == expected.stdout
    assert type(error) is type(expected.error)
    if error is None:
        assert _plain(last.globals) == _plain(expected.globals)
    else:
        assert error.message == expected.error.message


# ----------------------------------------------------------------------------- regressions
# Inputs the fuzzers found or that sit at the edges they probe; each must fail cleanly.

EDGE_CASES = [
    "", " ", "\n\n\n", ";", "}", "{", "(", "\"", "'", "\\", "\x00", "\ufeffx = 1;",
    "x = 1;\r\ny = ;", "x = 1;\u2028y = ;", "x = 1;\x0cy = ;", "x = 1;\x85y = ;",
    "x = 1;\x0c\ny = ;", "x = 1;\ry = 2;\nz = ;", "x = 1;\u2028\ny = ;", "\tx = (;",
    "x = 1;\n\n\n\n", "x = \"\\", "x = '\\u", "x = 1 +", "function", "function f(",
    "function f(a, a) { }", "break;", "continue;", "return;", "nonlocal x;",
    "x = 1; function f() { y = x; nonlocal x; }", "f(1)(2);", "(fn(x) => x)(3);",
    "x = fn() => { };", "x = [1, 2,];", "import;", "import math.;", "capability {",
    "x = 1.5[0];", "x = null[0];", "x = 'abc'['k'];", "x = 1(2);", "x = true.k;",
    "x = 0x1F;", "a = b = 1;", "x = " + "(" * 2000 + "1" + ")" * 2000 + ";",
    "x = " + "-" * 3000 + "1;", "x = " + "[" * 1000 + "]" * 1000 + ";",
    "x = 1" + " + 1" * 5000 + ";", "if (x) {" * 300 + "}" * 300,
    "x = '" + "a" * 100_000 + "';", "\n" * 10_000 + "x = ;",
]


@pytest.mark.parametrize("source", EDGE_CASES, ids=range(len(EDGE_CASES)))
def test_edge_cases_compile_or_fail_cleanly(source):
    program = compile_or_error(source)
    if program is not None:
        run_checked(program)


def test_generated_python_does_not_warn():
    """CPython warns about constant subscripts in the generated code ('float' object is not
    subscriptable; perhaps you missed a comma?); the warning names an mlpy:// file and, under
    ``-W error``, becomes a raw SyntaxError from mlpy.compile."""
    for source in ("x = 1.5[0];", "x = null[0];", "x = 'abc'['k'];"):
        program = compile_or_error(source)
        if program is not None:
            result = run_checked(program)
            assert isinstance(result.error, mlpy.MLRuntimeError)
            assert result.error.kind == "type_error"
