// Spec language.md section 4.15 (conversions to text) with DESIGN D3: one display
// format for print, str(), concatenation and values inside arrays/objects.
// The format of these files is described in conftest.py.

// D3: booleans and null print as such at top level and inside containers
print(true, false, null);
print([true, null, 'a']);
print({'a': 1});
print([false, [null, [true]]]);
print(1 < 2, [1 == 1, 1 != 1], {eq: "a" == "a"});
#> true false null
#> [true, null, 'a']
#> {'a': 1}
#> [false, [null, [true]]]
#> true [true, false] {'eq': true}
---
// D3: the example from the design document, all on one line
print(true, null, [true, null, 'a'], {'a': 1}, 3.0);
#> true null [true, null, 'a'] {'a': 1} 3.0
---
// D3: str() gives the same text as print
print(str(true), str(false), str(null));
print(str([true, null, "s"]), str({a: "b"}));
print(typeof(str(null)), len(str(null)), len(str(true)));
#> true false null
#> [true, null, 's'] {'a': 'b'}
#> string 4 4
---
// D3: concatenation uses the same format
x = true;
n = null;
o = {ok: true, err: null, list: [false]};
print("v=" + x + "," + n + "," + false);
print("" + [true, null] + {ok: false});
print(o);
print("o: " + o);
#> v=true,null,false
#> [true, null]{'ok': false}
#> {'ok': true, 'err': null, 'list': [false]}
#> o: {'ok': true, 'err': null, 'list': [false]}
---
// 4.15: a top-level string prints raw, inside containers it is quoted;
// a string containing a single quote is shown in double quotes
s = "text";
print(s, [s], {k: s});
print(str(s), str([s]));
print(["it's"], "it's");
print({q: 'say "hi"'});
#> text ['text'] {'k': 'text'}
#> text ['text']
#> ["it's"] it's
#> {'q': 'say "hi"'}
---
// 4.15 + D1: backslashes are doubled and control characters escaped inside containers
s = "a\\b";
print(s, len(s));
print([s]);
t = "a\nb";
print([t], ["tab\there"]);
print(t);
#> a\b 3
#> ['a\\b']
#> ['a\nb'] ['tab\there']
#> a
#> b
---
// 4.15: empty containers and nesting
print([], {}, [[]], {a: {}}, [{}]);
print({a: [1, {b: null}], c: "d"});
#> [] {} [[]] {'a': {}} [{}]
#> {'a': [1, {'b': null}], 'c': 'd'}
---
// 4.15: numbers print as Python prints them; 3.0 stays 3.0
print(5, 5.0, -5, 3.0, 2.5, 10 / 4, 4 / 2);
// 1.5.1: float literal spellings print through repr
print(1e3, 1., .5, 2.5E-3, 007, +5, 1e20, 1e-5);
#> 5 5.0 -5 3.0 2.5 2.5 2.0
#> 1000.0 1.0 0.5 0.0025 7 5 1e+20 1e-05
---
// 4.15: floats inside containers and in concatenation use the same text
print([0.1, 1e20, 3.0], "x" + 1e20, str(1e-5), str(1.0));
print(0.1 + 0.2, [0.1 + 0.2], str(0.1 + 0.2));
print(-0.0, 1e300 * 1e10, [1e300 * 1e10]);
#> [0.1, 1e+20, 3.0] x1e+20 1e-05 1.0
#> 0.30000000000000004 [0.30000000000000004] 0.30000000000000004
#> -0.0 inf [inf]
---
// 4.15: big integers print in full
print(99999999999999999999 + 1, [10000000000000000000000]);
#> 100000000000000000000 [10000000000000000000000]
---
// 9.2 print: arguments separated by one space; print() writes an empty line;
// print returns null
print("a", "b", 1, [2]);
print();
r = print("end");
print(r);
#> a b 1 [2]
#>
#> end
#> null
---
// 9.2 repr: strings quoted, booleans lowercase at top level and (D3) inside
print(repr("a"), repr(1), repr(true), repr(null));
print(repr([true, "s"]), repr("it's"));
#> 'a' 1 true null
#> [true, 's'] "it's"
---
// D6: enumerate and zip display as arrays of arrays, also when concatenated
print(enumerate(["a", "b"]));
print(zip([1, 2], ["x", "y"]));
print(enumerate("ab", 1));
p = enumerate(["q"])[0];
print("p=" + p, str(p));
#> [[0, 'a'], [1, 'b']]
#> [[1, 'x'], [2, 'y']]
#> [[1, 'a'], [2, 'b']]
#> p=[0, 'q'] [0, 'q']
---
// 4.15: the same object displays the same through every path
o = {n: 1.5, b: false, z: null, s: "x", a: [true]};
t1 = str(o);
t2 = "" + o;
t3 = repr(o);
print(t1 == t2, t2 == t3);
print(t1);
#> true true
#> {'n': 1.5, 'b': false, 'z': null, 's': 'x', 'a': [true]}
---
// 4.15: caught error objects print as their message
try {
    x = [1][5];
} except (e) {
    print(e);
    print("err: " + str(e));
}
#> array index out of range
#> err: array index out of range
---
// 4.15: functions display as a function value (address not specified)
function f() { return 1; }
t = str(f);
print(typeof(t), len(t) > 0, t == str(f));
#> string true true
---
// 4.3 + 4.15: printf-style formatting of booleans and null uses the display format
print("%s" % true, "%s" % null, "%s" % [false]);
#> true null [false]
