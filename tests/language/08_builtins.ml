// Language spec section 9 (builtin functions), part 1: output, conversions, numbers,
// sequences. DESIGN D3 (one display format), D4 (typeof null), D6 (no tuples), D7 (shadowing).

// ---- print ----
print("a", 1, 2.5, true, false, null);
#> a 1 2.5 true false null
---
print();
print("after empty line");
#>
#> after empty line
---
print([1, "a", true, null], {a: "x", b: false});
#> [1, 'a', true, null] {'a': 'x', 'b': false}
---
x = print("hi");
print(x);
#> hi
#> null
---
print(1e20, 0.1 + 0.2, 3.0, 1e3, -0.0, 10 / 4);
#> 1e+20 0.30000000000000004 3.0 1000.0 -0.0 2.5
---
print("it's", ["it's", "q"], "tab\there");
#> it's ["it's", 'q'] tab	here
---
// ---- input (value only: it reads standard input) ----
print(callable(input), typeof(input));
#> true function
---
// ---- int ----
print(int(true), int(false), int(7), int(-3.9), int(3.9));
#> 1 0 7 -3 3
---
print(int("42"), int("3.9"), int("1e3"), int(" 7 "), int("+5"), int("-12"));
#> 42 3 1000 7 5 -12
---
try { int("abc"); } except (e) { print(e.type, "|", e.message); }
try { int(null); } except (e) { print(e.type); }
try { int("inf"); } except (e) { print(e.type); }
#> ValueError | invalid literal for int() with base 10: 'abc'
#> TypeError
#> OverflowError
---
n = int("12abc");   ### "MLRuntimeError: .*12abc"
---
// ---- float ----
print(float(true), float(false), float(3), float("1e3"), float(" 2.5 "), float("1_000"));
#> 1.0 0.0 3.0 1000.0 2.5 1000.0
---
print(float("inf"), float("-inf"), float("nan"));
#> inf -inf nan
---
try { float("x"); } except (e) { print(e.type, "|", e.message); }
try { float(null); } except (e) { print(e.type); }
#> ValueError | could not convert string to float: 'x'
#> TypeError
---
// ---- str (D3: true/false/null everywhere) ----
print(str(true), str(false), str(null), typeof(str(true)));
#> true false null string
---
print(str(1.0), str(1e-5), str(42), str(1e20), str(-7));
#> 1.0 1e-05 42 1e+20 -7
---
print(str([true, null, "s"]), str({a: "b"}), str([]), str({}));
#> [true, null, 's'] {'a': 'b'} [] {}
---
s = str(123);
print(len(s), s + "!", s == "123");
#> 3 123! true
---
// ---- bool ----
print(bool("false"), bool("0"), bool([0]), bool({a: null}), bool(-1), bool(0.1));
#> true true true true true true
---
print(bool(0), bool(0.0), bool(""), bool([]), bool({}), bool(null), bool(false));
#> false false false false false false false
---
// ---- typeof ----
function f() { return 1; }
print(typeof(1), typeof(1.5), typeof("s"), typeof(true), typeof(null));
print(typeof([]), typeof({}), typeof(len), typeof(fn(x) => x), typeof(f));
#> number number string boolean null
#> array object function function function
---
// integers and floats are both "number" but behave differently
print(typeof(10 / 2), 10 / 2, typeof(10 // 2), 10 // 2);
#> number 5.0 number 5
---
// ---- isinstance ----
print(isinstance(1, "number"), isinstance("a", "number"), isinstance([], "array"));
print(isinstance({}, "object"), isinstance(null, "null"), isinstance(len, "function"));
print(isinstance(true, "boolean"), isinstance(true, "number"));
#> true false true
#> true true true
#> true false
---
// ---- len ----
print(len("héllo"), len(""), len([1, 2, 3]), len({a: 1, b: 2}), len([[1, 2]]));
#> 5 0 3 2 1
---
// values without a length give 0
function g() { return 1; }
print(len(5), len(2.5), len(true), len(null), len(len), len(g));
#> 0 0 0 0 0 0
---
// ---- range ----
print(range(5), range(2, 5), range(0, 10, 3), range(5, 0, -2));
#> [0, 1, 2, 3, 4] [2, 3, 4] [0, 3, 6, 9] [5, 3, 1]
---
print(range(-3), range(0), range(3, 1), typeof(range(3)), len(range(100)));
#> [] [] [] array 100
---
r = range(3);
r.append(99);
print(r);
#> [0, 1, 2, 99]
---
try { range(1.5); } except (e) { print(e.type, "|", e.message); }
try { range(1, 5, 0); } except (e) { print(e.type); }
try { range(); } except (e) { print(e.type); }
#> TypeError | a float cannot be interpreted as an integer
#> ValueError
#> TypeError
---
// ---- enumerate (D6: arrays of arrays) ----
print(enumerate(["a", "b"]), enumerate("xy", 1), enumerate([]));
#> [[0, 'a'], [1, 'b']] [[1, 'x'], [2, 'y']] []
---
pairs = enumerate(["a"]);
print(typeof(pairs[0]), pairs[0] == [0, "a"], pairs[0][1]);
[i, v] = pairs[0];
print(i, v);
#> array true a
#> 0 a
---
out = [];
for (p in enumerate({k1: 1, k2: 2})) {
    out.append(str(p[0]) + ":" + p[1]);
}
print(out);
#> ['0:k1', '1:k2']
---
// ---- zip ----
print(zip([1, 2, 3], ["a", "b"]), zip(), zip([1], [2], [3]));
#> [[1, 'a'], [2, 'b']] [] [[1, 2, 3]]
---
z = zip("ab", [true, null]);
print(z, typeof(z[0]), z[1] == ["b", null]);
#> [['a', true], ['b', null]] array true
---
// ---- abs ----
print(abs(-5), abs(5), abs(-2.5), abs(0), abs(true), abs(false));
#> 5 5 2.5 0 1 0
---
try { abs("x"); } except (e) { print(e.type); }
#> TypeError
---
// ---- min / max ----
print(min(3, 1, 2), max(3, 1, 2), min([3, 1, 2]), max([3, 1, 2]), max([1, 5.5, 3]));
#> 1 3 1 3 5.5
---
print(min([]), max([]), min(), max());
#> null null null null
---
print(min("abc"), max("b", "a"), min(["pear", "apple"]), max(7));
#> abc b apple 7
---
try { min(1, "a"); } except (e) { print(e.type); }
try { max([1, [2]]); } except (e) { print(e.type); }
#> TypeError
#> TypeError
---
// ---- round: Python round, half to even; float input gives a float ----
print(round(3.7), round(2.5), round(3.5), round(0.5), round(-0.5), round(-2.7));
#> 4.0 2.0 4.0 0.0 -0.0 -3.0
---
print(round(7), round(1234, -2), round(1250, -2), round(2.675, 2), round(3.14159, 3));
#> 7 1200 1200 2.67 3.142
---
// ---- sum ----
print(sum([1, 2, 3]), sum([]), sum([], 5), sum([1, 2], 10), sum([0.5, 0.25]));
#> 6 0 5 13 0.75
---
print(sum([true, true, false]), sum(range(101)));
#> 2 5050
---
try { sum(["a", "b"]); } except (e) { print(e.type); }
#> TypeError
---
// ---- sorted ----
a = [3, 1, 2];
b = sorted(a);
print(b, a, sorted(a, true), sorted([2.5, 1, -3]));
#> [1, 2, 3] [3, 1, 2] [3, 2, 1] [-3, 1, 2.5]
---
print(sorted(["b", "A", "a", "B"]), sorted("cba"), sorted({b: 1, a: 2}));
#> ['A', 'B', 'a', 'b'] ['a', 'b', 'c'] ['a', 'b']
---
print(sorted([[2, 1], [1, 5], [1, 2]]), sorted([]), sorted([true, false, 0]));
#> [[1, 2], [1, 5], [2, 1]] [] [false, 0, true]
---
try { sorted([1, "a"]); } except (e) { print(e.type); }
#> TypeError
---
// ---- reversed ----
a = [1, 2, 3];
print(reversed(a), a, reversed("ab"), reversed({a: 1, b: 2}), typeof(reversed(a)));
#> [3, 2, 1] [1, 2, 3] ['b', 'a'] ['b', 'a'] array
---
// ---- keys / values ----
o = {b: 1, a: 2, c: [3]};
print(keys(o), values(o), keys({}), values({}));
#> ['b', 'a', 'c'] [1, 2, [3]] [] []
---
ks = keys({x: 1});
ks.append("y");
print(ks, typeof(ks));
#> ['x', 'y'] array
---
try { keys([1]); } except (e) { print(e.type); }
try { values("x"); } except (e) { print(e.type); }
#> AttributeError
#> AttributeError
---
// ---- all / any ----
print(all([]), any([]), all([1, "x", [0]]), all([1, 0]), any([0, "", null, 3]), any([0, false]));
#> true false true false true false
---
print(all("abc"), any([[]]), all([{}]), any([{a: 1}]));
#> true false false true
---
// ---- callable ----
function h() { }
print(callable(len), callable(fn() => 1), callable(h), callable(5), callable("len"), callable(null));
#> true true true false false false
---
// ---- chr / ord ----
print(chr(65), chr(97), chr(233), chr(8364), ord("A"), ord("é"), ord("€"));
#> A a é € 65 233 8364
---
print(chr(ord("a") + 1), ord(chr(1000)));
#> b 1000
---
try { chr(-1); } except (e) { print(e.type); }
try { chr(1114112); } except (e) { print(e.type); }
try { ord("ab"); } except (e) { print(e.type); }
try { ord(""); } except (e) { print(e.type); }
#> ValueError
#> ValueError
#> TypeError
#> TypeError
---
// ---- hex / oct / bin ----
print(hex(255), hex(0), hex(-1), oct(8), oct(-8), bin(10), bin(0), bin(-5));
#> 0xff 0x0 -0x1 0o10 -0o10 0b1010 0b0 -0b101
---
try { hex(1.5); } except (e) { print(e.type); }
try { bin("1"); } except (e) { print(e.type); }
#> TypeError
#> TypeError
---
// ---- repr ----
print(repr("a"), repr("it's"), repr(1.0), repr(42), repr(true), repr(false));
#> 'a' "it's" 1.0 42 true false
---
print(repr([1, "a"]), repr({k: "v"}), repr(null), repr([true, null]));
#> [1, 'a'] {'k': 'v'} null [true, null]
---
// ---- format ----
print(format(3.14159, ".2f"), format(42, "05d"), format(255, "x"), format(1234567, ","));
#> 3.14 00042 ff 1,234,567
---
print("[" + format("x", ">3") + "]", "[" + format("ab", "<4") + "]", format(5), format(0.5, ".0%"));
#> [  x] [ab  ] 5 50%
---
try { format(1, "invalid!"); } except (e) { print(e.type); }
#> ValueError
---
// ---- builtins as values and through `builtin` (9.1, 9.3) ----
f = len;
fs = [len, str];
g = fs[1];
print(f("abc"), g(true), builtin.len([1, 2]), builtin.str(null), typeof(print));
#> 3 true 2 null function
---
function apply(h, v) { return h(v); }
print(apply(abs, -4), apply(sorted, [2, 1]), apply(typeof, null));
#> 4 [1, 2] null
---
// wrong argument counts to builtins are catchable TypeErrors
try { len("a", "b"); } except (e) { print(e.type); }
try { abs(); } except (e) { print(e.type); }
try { chr(1, 2); } except (e) { print(e.type); }
#> TypeError
#> TypeError
#> TypeError
---
// D7: a user function named like a builtin shadows it
function len(x) { return "mine"; }
print(len([1, 2]));
#> mine
---
// names that are not builtins cannot be called: a call fails when it runs
print("before");
x = map(fn(v) => v, [1]);   ### "MLRuntimeError: .*map"
#> before
---
print("never printed");
t = type(1);   ### "ML(Compile|Security)Error: .*type"
---
print("before");
x = list("ab");   ### "MLRuntimeError: .*list"
#> before
---
try { parseInt("5"); } except (e) { print(e.type); }
try { push(1); } except (e) { print(e.type); }
#> NameError
#> NameError
---
// used as a value, a name bound nowhere is a compile error
print("never printed");
f = map;   ### "ML(Compile|Security)Error: .*map"
