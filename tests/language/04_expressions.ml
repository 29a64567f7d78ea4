// Spec language.md section 4.1-4.7 (values, truthiness, arithmetic, comparison,
// logical operators, unary minus, ternary), with DESIGN D2/D3/D4/D6 applied.
// The format of these files is described in conftest.py.

// 4.1 typeof of every ML value kind
print(typeof(1), typeof(1.5), typeof(-0.0), typeof(12345678901234567890));
print(typeof("s"), typeof(""), typeof(true), typeof(false));
print(typeof([]), typeof([1, "a"]), typeof({}), typeof({a: 1}));
#> number number number number
#> string string boolean boolean
#> array array object object
---
// D4: typeof(null) is "null"
print(typeof(null));
x = null;
print(typeof(x) == "null");
#> null
#> true
---
function named() { return 1; }
anon = fn(x) => x;
print(typeof(named), typeof(anon), typeof(print), typeof(len));
#> function function function function
---
// D6: no tuples reach ML, enumerate/zip elements are arrays
pairs = enumerate(["a", "b"]);
print(typeof(pairs), typeof(pairs[0]));
z = zip([1, 2], ["x", "y"]);
print(typeof(z[1]), z[1]);
#> array array
#> array [2, 'y']
---
// D4: a caught error has typeof "error"
try {
    x = [1][3];
} except (e) {
    print(typeof(e));
}
#> error
---
// 4.1: no separate integer type, but ints and floats behave differently
print(10 / 2, 10 // 2, typeof(10 / 2) == typeof(10 // 2));
#> 5.0 5 true
---
// 4.2 Truthiness: falsy values
for (v in [false, null, 0, 0.0, "", [], {}]) {
    if (v) {
        print("truthy", v);
    } else {
        print("falsy");
    }
}
#> falsy
#> falsy
#> falsy
#> falsy
#> falsy
#> falsy
#> falsy
---
// 4.2 Truthiness: everything else is truthy
for (v in ["0", "false", [0], {a: null}, -1, 0.5, " ", print, fn() => 0]) {
    if (v) {
        print("T");
    } else {
        print("F");
    }
}
#> T
#> T
#> T
#> T
#> T
#> T
#> T
#> T
#> T
---
// 4.2 truthiness in while, elif and ternary conditions
n = 3;
out = [];
while (n) {
    out.append(n);
    n = n - 1;
}
print(out);
if ([]) {
    print("no");
} elif ("x") {
    print("elif");
}
print({} ? "yes" : "no", [[]] ? "yes" : "no");
print(bool(""), bool("0"), bool("false"), bool([]), bool(0.0), bool(null), bool({b: 0}));
#> [3, 2, 1]
#> elif
#> no yes
#> false true true false false false true
---
// 4.3 '+' with a string literal converts the other operand
print("a" + 1);
print(1 + "a");
print("v=" + 10 / 4);
print("x" + 0.1, "x" + 3.0);
#> a1
#> 1a
#> v=2.5
#> x0.1 x3.0
---
// 4.3 '+' chains: the inner numeric '+' adds first, a literal at the left concatenates
print(1 + 2 + "a");
print("a" + 1 + 2);
print(1 + 2 + "a" + 1 + 2);
// a parenthesised '+' expression containing a literal still counts
n = 5;
print(("n=" + n) + 1);
print(1 + (2 + "a"));
#> 3a
#> a12
#> 3a12
#> n=51
#> 12a
---
// 4.3 + D3: booleans and null concatenate in the one display format
print("x" + true, "x" + false, "x" + null);
print("x" + str(true));
// containers concatenate with their display text
print("x" + [1, true, null, "s"]);
print("x" + {a: 1});
#> xtrue xfalse xnull
#> xtrue
#> x[1, true, null, 's']
#> x{'a': 1}
---
// 4.3 a string variable plus a number is a runtime error (no literal involved)
s = "n";
print("before");
y = s + 1;   ### "MLRuntimeError"
#> before
---
// 4.3 more '+' without a string literal: each is a catchable runtime error
function fails(f) {
    try {
        f();
    } except (e) {
        return "error";
    }
    return "ok";
}
function name() { return "bob"; }
s = "a";
n = 1;
c = true;
a = [1, 2];
print(fails(fn() => s + 1), fails(fn() => n + s), fails(fn() => a + 1));
// a ternary or a call result never counts as a string literal
print(fails(fn() => (c ? "a" : "b") + n), fails(fn() => name() + 1));
// '-' never concatenates, not even with a string literal
print(fails(fn() => s - 1), fails(fn() => "abc" - "c"));
print(fails(fn() => "" + s + 1), fails(fn() => s + "b"));
#> error error error
#> error error
#> error error
#> ok ok
---
// 4.3 a leading literal in the chain makes the whole chain concatenate
s = "n";
print("" + s + 1);
msg = "msg";
n = 7;
print("pre" + msg + n);
// two string variables concatenate with plain '+'
t = "cd";
u = s + t + s;
print(u, len(u));
#> n1
#> premsg7
#> ncdn 4
---
// 4.3 plain '+': numbers add, booleans count as 0/1
print(1 + 2, 1 + true, true + true, 1.5 + 1);
#> 3 2 2 2.5
---
// 4.3 plain '+': arrays concatenate into a new array
a = [1, 2];
b = a + [3];
print(a, b);
print([] + [], ["x"] + [[1]]);
#> [1, 2] [1, 2, 3]
#> [] ['x', [1]]
---
// 4.3 '-' and '*'
print(7 - 10, 2.5 * 2, 3 * 4, 1 - 0.5);
#> -3 5.0 12 0.5
---
// 4.3 '*' repeats strings and arrays
s = "ab";
print(s * 3, 3 * s);
print([0] * 3);
print("[" + ("x" * 0) + "]", len("x" * 0));
#> ababab ababab
#> [0, 0, 0]
#> [] 0
---
// 4.3 '/' is true division, always a float
print(6 / 2, 7 / 2, 1 / 4, -9 / 2);
#> 3.0 3.5 0.25 -4.5
---
// 4.3 division by zero raises (no Infinity)
x = 1;
y = 0;
print("before");
z = x / y;   ### "division by zero"
#> before
---
// 4.3 division by zero is catchable, for '/', '//' and '%', ints and floats
function zero(f) {
    try {
        f();
    } except (e) {
        m = str(e);
        return m.find("division") >= 0 || m.find("modulo") >= 0;
    }
    return "no error";
}
n = 0;
x = 1.5;
print(zero(fn() => 10 / n), zero(fn() => x / 0), zero(fn() => 5 // n), zero(fn() => x // 0.0));
print(zero(fn() => 5 % n), zero(fn() => x % 0));
#> true true true true
#> true true
---
// 4.3 '//' floors toward negative infinity
print(7 // 2, -7 // 2, 7 // -2, 7.5 // 2, -7.5 // 2);
#> 3 -4 -4 3.0 -4.0
---
// 4.3 '%' takes the sign of the divisor
print(7 % 3, -7 % 3, 7 % -3, 5.5 % 2, 7 % 0.5);
#> 1 2 -2 1.5 0.0
---
// 4.3 '%' on a string left operand is printf-style formatting
print("%d items" % 5);
print("%s!" % "hi");
print("%.2f" % 3.14159);
print("[%s]" % [1, 2]);
#> 5 items
#> hi!
#> 3.14
#> [[1, 2]]
---
// 4.3 numeric tower: int op int stays int, a float operand makes a float
print(2 + 3, 2 + 3.0, 6 * 2, 6 * 2.0, 7 % 2, 7 % 2.0, 9 // 3, 9 // 3.0);
#> 5 5.0 12 12.0 1 1.0 3 3.0
---
// 4.3 integers never overflow
big = 12345678901234567890;
print(big * big);
print(big * 10 + 1);
#> 152415787532388367501905199875019052100
#> 123456789012345678901
---
// 4.3 float overflow in multiplication gives inf
print(1e300 * 1e10);
print(-1e300 * 1e10);
#> inf
#> -inf
---
// 4.3 float rounding is IEEE double
print(0.1 + 0.2);
#> 0.30000000000000004
---
// 4.3 there is no exponent operator
print("never");
x = 2 ** 3;   ### "MLSyntaxError"
---
// 4.4 equality across int/float and booleans
print(1 == 1.0, true == 1, false == 0, 2 == true, "1" == 1, 0 == null);
// strings compare by content
a = "ab";
b = "a" + "b";
print(a == b, a != b, "A" == "a");
#> true true true false false false
#> true false false
---
// 4.4 arrays and objects compare structurally
print([1, 2] == [1, 2], [1, 2] == [2, 1], [1, [2]] == [1, [2]]);
print({a: 1, b: 2} == {b: 2, a: 1}, {a: 1} == {a: 2}, {} == []);
print(null == null, null != null, null == false, null == 0, null == "");
#> true false true
#> true false false
#> true false false false false
---
// 4.4 functions compare by identity
f = fn(x) => x;
g = fn(x) => x;
h = f;
print(f == f, f == g, h == f, f != g);
#> true false true true
---
// 4.4 + D6: enumerate/zip give arrays, so they equal arrays
print(enumerate(["a"])[0] == [0, "a"]);
print(zip([1], [2]) == [[1, 2]]);
#> true
#> true
---
// 4.4 ordering: numbers, strings by code point, arrays element-wise
print(1 < 2, 2.5 > 2, 1 <= 1.0, 3 >= 4, true < 2);
print("B" < "a", "abc" < "abd", "ab" < "abc", "b" > "abc");
print([1, 2] < [1, 3], [1, 2] < [1, 2, 0], [2] > [1, 9]);
#> true true true false true
#> true true true true
#> true true true
---
// 4.4 comparing unrelated types is an error
n = 1;
s = "a";
print(n < 2);
print(n < s);   ### "MLRuntimeError.*<"
#> true
---
// 4.4 null and objects are not orderable; unrelated types raise
function fails(f) {
    try {
        f();
    } except (e) {
        return "error";
    }
    return "ok";
}
x = null;
o = {a: 1};
print(fails(fn() => x > 1), fails(fn() => o < {a: 2}), fails(fn() => [1] < "a"), fails(fn() => x <= x));
print(fails(fn() => x == 1), fails(fn() => o != [1]));
#> error error error error
#> ok ok
---
// 4.4 / D2 comparisons do not chain: each is a separate binary operation
print(1 < 2 < 3);
print(3 > 2 > 1);
print(3 > 2 == true);
#> true
#> false
#> true
---
// 2.2: relational binds tighter than equality
a = 1;
b = 2;
c = 5;
d = 3;
print(a < b == c < d);
print(a < b == d < c);
#> false
#> true
---
// 4.4 results are booleans
r = 2 > 1;
print(r, typeof(r), typeof(1 == 1), [1 != 1]);
#> true boolean boolean [false]
---
// 4.5 && and || return an operand, not a boolean
print(0 || 5, "" || "d", 3 && "yes", null || "n");
print(1 || 2, 0 && 2, [] || {}, null && 1);
#> 5 d yes n
#> 1 0 {} null
---
// 4.5 short-circuit: the right operand is not evaluated
function f(label) {
    print("called", label);
    return label;
}
r1 = 0 && f("a");
r2 = 1 || f("b");
r3 = 1 && f("c");
r4 = 0 || f("d");
print(r1, r2, r3, r4);
#> called c
#> called d
#> 0 1 c d
---
// 4.5 ! always returns a boolean
print(!0, !"a", ![], !null, !1, !"", !{a: 1});
print(!!"x", !!0, typeof(!5));
#> true false true true false true false
#> true false boolean
---
// 4.5 && binds tighter than ||
print(true || false && false);
print(1 || 0 && 0);
print(0 && 1 || "r");
print(0 || 1 && "and");
#> true
#> 1
#> r
#> and
---
// 4.5 / 2.2: ! binds tighter than comparison and arithmetic
x = 5;
print(!x == false);
print(!(x == 5));
#> true
#> false
---
// 4.6 unary minus
x = 5;
print(-x, -x * 2, 2 - -3, - -3, -(-1), -true, -(2.5));
// 1.5.1: after an operand '-' is subtraction, even without spaces
a = 5;
print(a-1, 5 -3, a - -1);
#> -5 -10 5 3 1 -1 -2.5
#> 4 2 6
---
// 4.6 unary minus on a string, array or null is an error
s = "abc";
a = [1];
n = null;
for (v in [s, a, n]) {
    try {
        y = -v;
        print("no error");
    } except (e) {
        print("error");
    }
}
y = -s;   ### "MLRuntimeError"
#> error
#> error
#> error
---
// 4.7 / D2 a ternary operand groups correctly
c = true;
print((c ? 10 : 20) + 5);
c = false;
print((c ? 10 : 20) + 5);
print(10 + (c ? 1 : 2));
c = true;
print(10 + (c ? 1 : 2));
#> 15
#> 25
#> 12
#> 11
---
// 4.7 / D2 a parenthesised ternary can be indexed and negated
c = false;
a = [1, 2];
b = [3, 4];
print((c ? a : b)[0]);
print(-(c ? 1 : 2), !(c ? 0 : 1));
#> 3
#> -2 false
---
// 4.7 the ternary is right-associative
function grade(n) {
    return n >= 90 ? "A" : n >= 80 ? "B" : n >= 70 ? "C" : "F";
}
print(grade(95), grade(85), grade(75), grade(10));
#> A B C F
---
// 4.7 exactly one arm is evaluated
function side(v) {
    print("eval", v);
    return v;
}
r = true ? side("yes") : side("no");
r2 = 0 ? side("yes") : side("no");
print(r, r2);
#> eval yes
#> eval no
#> yes no
---
// 4.7 the condition uses truthiness
print("" ? 1 : 2, "0" ? 1 : 2, [] ? 1 : 2, null ? 1 : 2, 0.1 ? 1 : 2);
#> 2 1 2 2 1
---
// 4.7 a ternary choosing between two arrow functions
t = true;
g = t ? fn(a) => a + 1 : fn(b) => b * 10;
print(g(5));
t = false;
g = t ? fn(a) => a + 1 : fn(b) => b * 10;
print(g(5));
#> 6
#> 50
---
// 4.7 ternaries as arguments, elements and object values
c = false;
arr = [c ? 1 : 2, c ? "a" : "b"];
obj = {k: c ? "x" : "y"};
print(arr, obj, max(c ? 1 : 9, 3));
#> [2, 'b'] {'k': 'y'} 9
---
// 2.2: the ternary condition is an or-expression, the arms are full expressions
a = 0;
b = 2;
print(a || b ? "first" : "second");
print(a && b ? "first" : "second");
print(true ? 1 + 2 : 3 + 4);
#> first
#> second
#> 3
