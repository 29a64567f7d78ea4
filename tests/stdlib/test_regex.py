"""The ``regex`` module: Python ``re`` syntax, results as ML values, Pattern/Match objects that
expose only their documented members; no capability needed."""

from __future__ import annotations

import pytest

import mlpy


def out(run, source, **variables):
    return run.output("import regex;\n" + source, **variables)


def test_flags_are_functions(run):
    assert out(run, "print(regex.IGNORECASE(), regex.MULTILINE(), regex.DOTALL(), "
                    "regex.VERBOSE(), regex.ASCII(), regex.UNICODE(), regex.MAX_PATTERN_LENGTH);"
               ) == "2 8 16 64 256 32 4096\n"


def test_module_functions(run):
    assert out(run, r"""
        print(regex.test("\d+", "ab12"), regex.test("^\d", "ab12"), regex.test("AB", "xab", regex.IGNORECASE()));
        print(regex.search("\d+", "ab12cd34").value(), regex.search("z", "ab"));
        print(regex.match("\d", "a1"), regex.match("a", "a1").value());
        print(regex.fullmatch("a\d", "a1").value(), regex.fullmatch("a", "a1"));
        print(regex.findall("\d", "a1b2"), regex.findall("(\w)\d", "a1b2"), regex.findall("(\w)(\d)", "a1b2"));
        print(len(regex.finditer("\d", "1 2 3")), typeof(regex.finditer("\d", "1")[0]));
        print(regex.split(",", "a,b,c"), regex.split("(,)", "a,b"), regex.split(",", "a,b,c", 1));
        print(regex.sub("(\d)", "<\1>", "a1b2"), regex.sub("\d", "#", "1234", 2));
        print(regex.sub("(?P<n>\d)", "[\g<n>]", "x5"), regex.sub("^a", "b", "a\na", 0, regex.MULTILINE()));
        print(regex.subn("\d", "#", "a1b2c3"), regex.subn("\d", "#", "a1b2c3", 1));
        print(regex.count("o", "foo boo"), regex.count("z", "foo"));
        print(regex.escape("a.b*c"), regex.isValid("a+"), regex.isValid("("), regex.isValid(5));
    """) == ("true false true\n12 null\nnull a\na1 null\n['1', '2'] ['a', 'b'] [['a', '1'], ['b', '2']]\n"
             "3 Match\n['a', 'b', 'c'] ['a', ',', 'b'] ['a', 'b,c']\na<1>b<2> ##34\nx[5] b\nb\n"
             "{'result': 'a#b#c#', 'count': 3} {'result': 'a#b2c3', 'count': 1}\n4 0\n"
             "a\\.b\\*c true false false\n")


def test_pattern_object(run):
    assert out(run, r"""
        p = regex.compile("(\d+)-(\d+)", regex.IGNORECASE() + regex.MULTILINE());
        print(typeof(p), p.pattern, p.flags, p.getPattern(), p.getFlags());
        print(p.toString());
        print(p, str(regex.compile("a")));
        print(p.test("x 1-2"), p.test("x"), p.search("a 1-2 3-4").value(), p.search("1-2 3-4", 1).value());
        print(p.search("1-2", 0, 2), p.match("1-2x").value(), p.match("x1-2"), p.match("x1-2", 1).value());
        print(p.fullmatch("1-2"), p.fullmatch("1-2x"), p.fullmatch("1-2x", 0, 3));
        print(p.findall("1-2 3-4"), p.findall("1-2 3-4", 1), len(p.finditer("1-2 3-4")), len(p.finditer("1-2 3-4", 0, 4)));
        q = regex.compile(",");
        print(q.split("a,b,c"), q.split("a,b,c", 1), q.sub(";", "a,b,c"), q.sub(";", "a,b,c", 1));
        print(q.subn(";", "a,b"), q.count("a,b,c"));
    """) == ("Pattern (\\d+)-(\\d+) 10 (\\d+)-(\\d+) 10\n"
             "Pattern('(\\\\d+)-(\\\\d+)', flags=IGNORECASE | MULTILINE)\n"
             "Pattern('(\\\\d+)-(\\\\d+)', flags=IGNORECASE | MULTILINE) Pattern('a')\n"
             "true false 1-2 3-4\n"
             "null 1-2 null 1-2\n"
             "Match(value='1-2', span=[0, 3]) null Match(value='1-2', span=[0, 3])\n"
             "[['1', '2'], ['3', '4']] [['3', '4']] 2 1\n"
             "['a', 'b', 'c'] ['a', 'b,c'] a;b;c a;b,c\n"
             "{'result': 'a;b', 'count': 1} 2\n")


def test_match_object(run):
    assert out(run, r"""
        m = regex.search("(?P<y>\d{4})-(?P<m>\d\d)(x)?", "on 2024-05!");
        print(typeof(m), m, m.toString(), m.value());
        print(m.group(), m.group(1), m.group("m"), m.group(3), m.group(9), m.group("nope"));
        print(m.groups(), m.groupDict(), m.groupDict("-"));
        print(m.start(), m.end(), m.start(2), m.end("y"), m.start(3), m.start(9), m.end(9));
        print(m.span(), m.span(1), m.span(9));
        print(m.lastGroup(), m.groupCount(), m.expand("\2/\1"), m.expand("\g<m>.\g<y>"));
        n = regex.match("a", "abc");
        print(n.lastGroup(), n.groups(), n.groupCount(), n.groupDict());
    """) == ("Match Match(value='2024-05', span=[3, 10]) Match(value='2024-05', span=[3, 10]) 2024-05\n"
             "2024-05 2024 05 null null null\n"
             "['2024', '05', null] {'y': '2024', 'm': '05'} {'y': '2024', 'm': '05'}\n"
             "3 10 8 7 -1 -1 -1\n"
             "[3, 10] [3, 7] [-1, -1]\n"
             "m 3 05/2024 05.2024\n"
             "null [] 0 {}\n")


def test_sub_with_a_function(run):
    assert out(run, r"""
        print(regex.sub("\w+", fn(m) => m.value() + "!", "hi there"));
        p = regex.compile("\d");
        print(p.sub(fn(m) => str(int(m.value()) * 2), "a1b4"));
    """) == "hi! there!\na2b8\n"


def test_aliasing_functions_and_methods(run):
    assert out(run, r"""
        f = regex.findall;
        print(f("\d", "a1b2"));
        p = regex.compile("\d");
        t = p.test;
        o = {s: p.search};
        m = o.s("x7");
        g = m.group;
        print(t("a1"), t("ab"), g(0));
    """) == "['1', '2']\ntrue false 7\n"


def test_no_tuples_in_results():
    engine = mlpy.Engine()
    result = engine.execute(r"""
        import regex;
        m = regex.search("(a)(b)?", "a");
        result = [regex.findall("(a)(b)", "abab"), regex.split("(,)", "a,b"), m.groups(),
                  m.span(), regex.compile("(a)(b)").findall("ab"), m.groupDict()];
    """)
    assert result.ok, result.error

    def walk(value):
        assert not isinstance(value, tuple), value
        if isinstance(value, list):
            for item in value:
                walk(item)
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
    walk(result.value)
    assert result.value[0] == [["a", "b"], ["a", "b"]]


@pytest.mark.parametrize("source, kind, message", [
    ('regex.compile("(");', "ValueError", "Invalid regex pattern '(': missing )"),
    ('regex.test("[a", "x");', "ValueError", "Invalid regex pattern '[a'"),
    ('regex.test(5, "x");', "TypeError", "the pattern must be a string, not number"),
    ('regex.test("a", null);', "TypeError", "text must be a string, not null"),
    ('regex.compile("a", 1024);', "ValueError", "unknown flags 1024"),
    ('regex.compile("a", "i");', "TypeError", "flags must be an integer"),
    ('regex.sub("a", "\\\\9", "a");', "ValueError", "invalid replacement"),
    ('regex.sub("a", 5, "a");', "TypeError", "replacement must be a string or a function"),
    ('regex.sub("a", fn(m) => 5, "a");', "TypeError", "must return a string, not number"),
    ('regex.sub("a", "b", "a", -1);', "ValueError", "count must not be negative"),
    ('regex.search("a", "a").group([1]);', "TypeError", "a group is a number or a name"),
    ('regex.search("a", "a").expand("\\\\5");', "ValueError", "invalid template"),
    ('regex.compile("a").search("a", "x");', "TypeError", "pos must be an integer"),
])
def test_errors_are_catchable(run, source, kind, message):
    printed = out(run, f"try {{ {source} }} except (e) {{ print(e.type); print(e.message); }}")
    got_kind, got_message = printed.rstrip("\n").split("\n", 1)
    assert got_kind == kind
    assert message in got_message


def test_long_patterns_are_refused(run):
    printed = out(run, 'try { regex.compile(p); } except (e) { print(e.message); }',
                  p="a" * 5000)
    assert "longer than 4096 characters" in printed
    assert out(run, "print(regex.isValid(p));", p="a" * 5000) == "false\n"


def test_a_callback_that_throws_ends_the_call(run):
    assert out(run, r"""
        try { regex.sub("a", fn(m) => { throw {message: "no"}; }, "aaa"); }
        except (e) { print("caught", e.message); }
    """) == "caught no\n"


def test_a_callback_cannot_escape_the_time_limit():
    result = mlpy.Engine(timeout=0.5).execute(r"""
        import regex;
        spin = fn(m) => { while (true) { } return ""; };
        try { regex.sub("a", spin, "a"); } except (e) { print("caught"); }
    """, capture_output=True)
    assert isinstance(result.error, mlpy.MLTimeoutError)
    assert result.stdout == ""


def test_sub_results_respect_the_size_limit():
    result = mlpy.Engine().execute('import regex; x = regex.sub("", "0123456789", t);',
                                   {"t": "a" * 2_000_000}, capture_output=True)
    assert isinstance(result.error, mlpy.MLLimitError)
    result = mlpy.Engine().execute(
        'import regex; m = regex.search("(a+)", t); x = m.expand("\\1\\1\\1\\1\\1\\1\\1\\1\\1");',
        {"t": "a" * 2_000_000}, capture_output=True)
    assert isinstance(result.error, mlpy.MLLimitError)


@pytest.mark.parametrize("source", [
    'p = regex.compile("a"); x = p._re;',
    'm = regex.search("a", "a"); x = m._m;',
    'p = regex.compile("a"); x = p.scanner("a");',
    'm = regex.search("a", "a"); x = m.re;',
    'm = regex.search("a", "a"); x = m.string;',
])
def test_python_re_objects_are_unreachable(run, source):
    result = run("import regex; " + source)
    assert not result.ok
    assert isinstance(result.error, (mlpy.SecurityError, mlpy.MLRuntimeError)), result.error


def test_no_capability_is_needed():
    result = mlpy.Engine(capabilities=[]).execute('import regex; result = regex.test("a", "a");')
    assert result.ok and result.value is True
