"""Regular expressions that backtrack for minutes in one native call.

Python's ``re`` cannot be interrupted by the time limit. Every regex call estimates its
worst case from the pattern's shape and the text's length and refuses, with the operation
limit, to run one that could take too long (docs/stdlib/regex.md, "Limits"); patterns that
cannot backtrack badly run on any text up to the string limit.
"""

from __future__ import annotations

import pytest

from .conftest import assert_isolated_limit, describe, run, run_isolated

# A pattern whose worst case is exponential, a text that triggers it, and every function
# that runs it (module functions and Pattern methods).
EXPONENTIAL = {
    "nested_plus": "(a+)+$",
    "nested_optional_separator": "^(\\w+\\s?)*$",
    "nested_star_with_separator_inside": "(.*,)*x",
    "nested_prefix_in_class": "(x\\w+)+y",
    "optional_dot": "(\\d+\\.?)+$",
    "alternatives_alike": "(a|aa)+$",
    "bounded_inner_repeat": "(a{1,3})+$",
    "in_lookahead": "(?=(a+)+$)",
}
TEXTS = {
    "nested_plus": '"a" * 40 + "!"',
    "nested_optional_separator": '"a" * 40 + "!"',
    "nested_star_with_separator_inside": '"," * 40',
    "nested_prefix_in_class": '"x" * 40',
    "optional_dot": '"1" * 40 + "!"',
    "alternatives_alike": '"a" * 40 + "!"',
    "bounded_inner_repeat": '"a" * 40 + "!"',
    "in_lookahead": '"a" * 40 + "!"',
}
CALLS = {
    "test": "regex.test(P, T)",
    "search": "regex.search(P, T)",
    "match": "regex.match(P, T)",
    "fullmatch": "regex.fullmatch(P, T)",
    "findall": "regex.findall(P, T)",
    "finditer": "regex.finditer(P, T)",
    "sub": 'regex.sub(P, "-", T)',
    "split": "regex.split(P, T)",
    "count": "regex.count(P, T)",
    "pattern_search": "regex.compile(P).search(T)",
    "pattern_fullmatch": "regex.compile(P).fullmatch(T)",
    "pattern_subn": 'regex.compile(P).subn("-", T)',
}

# Polynomial worst cases on texts long enough to take minutes.
POLYNOMIAL = {
    "one_repeat_search": ('"\\d+x"', '"1" * 300000'),
    "email_search": ('"\\w+@\\w+\\.com"', '"a" * 300000'),
    "three_repeats_match": ('"a*a*a*b"', '"a" * 20000', "match"),
    "two_dot_stars": ('".*x.*y"', '"x" * 100000'),
    "tag": ('"<[^>]*>"', '"<" * 300000'),
    "possessive_search": ('"\\w++@"', '"a" * 300000'),
    "many_alternatives": ('"|".join(functional.map(fn(i) => "a" + str(i), range(500)))',
                          '"a" * 16000000'),
}


def _source(pattern: str, text: str, call: str) -> str:
    return ("import regex; import functional;\n"
            f"P = {pattern}; T = {text};\n"
            f"r = {call};")


CASES = {
    **{f"exp:{name}:{call}": {"src": _source(repr(EXPONENTIAL[name]).replace("'", '"'),
                                             TEXTS[name], CALLS[call]),
                              "options": {"timeout": 1}}
       for name in EXPONENTIAL for call in ("test", "fullmatch")},
    **{f"call:{call}": {"src": _source('"(a+)+$"', TEXTS["nested_plus"], CALLS[call]),
                        "options": {"timeout": 1}}
       for call in CALLS},
    **{f"poly:{name}": {"src": _source(pattern, text,
                                       f"regex.{rest[0] if rest else 'search'}(P, T)"),
                        "options": {"timeout": 1}}
       for name, (pattern, text, *rest) in POLYNOMIAL.items()},
}


@pytest.fixture(scope="module")
def reports():
    return run_isolated(CASES, wall=20.0)


def _refused(report) -> None:
    assert_isolated_limit(report, "MLResourceError", resource="operation")
    assert "operation limit reached" in report["message"], describe(report)
    assert report["seconds"] < 10, describe(report)


@pytest.mark.parametrize("call", ["test", "fullmatch"])
@pytest.mark.parametrize("name", sorted(EXPONENTIAL))
def test_exponential_patterns_are_refused_on_long_text(reports, name, call):
    _refused(reports[f"exp:{name}:{call}"])
    assert "2^n" in reports[f"exp:{name}:{call}"]["message"]


@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_regex_call_measures_first(reports, call):
    _refused(reports[f"call:{call}"])


@pytest.mark.parametrize("name", sorted(POLYNOMIAL))
def test_polynomial_worst_cases_are_refused_on_long_text(reports, name):
    _refused(reports[f"poly:{name}"])


# ----------------------------------------------------------------------------- still works

@pytest.mark.parametrize("source, expected", [
    # short texts run whatever the pattern
    ('regex.test("(a+)+$", "aaaaaaaaaa!")', False),
    ('regex.fullmatch("(\\\\w+\\\\s?)*", "some words here").value()', "some words here"),
    # patterns that cannot backtrack badly run on long texts
    ('regex.findall("\\\\d+", "a1b22" * 200000).length', 400000),
    ('regex.findall("\\"[^\\"]*\\"", "say \\"hi\\" " * 100000).length', 100000),
    ('regex.findall("\\\\b\\\\w+@\\\\w+\\\\.com", "mail ada@home.com now " * 20000).length',
     20000),
    ('regex.match("^\\\\d+x", "1" * 1000000)', None),
    ('regex.search("needle", "hay" * 5000000 + "needle").start()', 15000000),
    ('regex.sub("\\\\s+", " ", "a  b   c" * 100000).length', 500000),
    ('regex.split(",", "a," * 500000).length', 500001),
    ('regex.compile("(\\\\d{1,3}\\\\.){3}\\\\d{1,3}").findall("10.0.0.1 " * 50000).length',
     50000),
    ('regex.isValid("(a+)+$")', True),
])
def test_ordinary_patterns_still_work(source, expected):
    result = run(f"import regex; result = {source};", timeout=30)
    assert result.ok, result.error
    assert result.value == expected
