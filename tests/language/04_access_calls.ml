// Spec language.md sections 4.8-4.14 and 4.16: indexing, slicing, member access,
// method calls, calls by name, literals, arrow functions, evaluation order.
// DESIGN D7/D8 apply. The format of these files is described in conftest.py.

// 4.8 indexing arrays and strings, negatives count from the end
a = [10, 20, 30];
s = "hello";
m = [[1, 2], [3, 4]];
i = 1;
print(a[0], a[2], a[-1], a[-3]);
print(s[0], s[-1], typeof(s[1]), len(s[1]));
print(m[i][i - 1], m[i - 1][-1], m[len(m) - 1]);
#> 10 30 30 10
#> h o string 1
#> 3 2 [3, 4]
---
// 4.8 an index out of range is an error
a = [10, 20, 30];
print("ok");
x = a[3];   ### "MLRuntimeError.*index out of range"
#> ok
---
// 4.8 more bad indexes: each is a catchable error
function fails(f) {
    try {
        f();
    } except (e) {
        return "error";
    }
    return "ok";
}
a = [10, 20, 30];
s = "abc";
print(fails(fn() => a[-4]), fails(fn() => s[5]), fails(fn() => s[-4]), fails(fn() => [][0]));
// a non-integer index on an array or string is an error, also a float
print(fails(fn() => a["0"]), fails(fn() => a[1.0]), fails(fn() => s["a"]), fails(fn() => a[null]));
print(fails(fn() => a[-3]), fails(fn() => s[2]));
#> error error error error
#> error error error error
#> ok ok
---
// 4.8 a float index is an error reported on its line
a = [1, 2];
x = a[1.0];   ### "MLRuntimeError.*integer"
---
// 4.8 objects: key lookup with brackets
o = {a: 1, "b c": 2};
k = "a";
print(o["a"], o[k], o["b c"]);
#> 1 1 2
---
// 4.8 a missing key with brackets is an error, while .key gives null
o = {a: 1};
print(o.b);
x = o["b"];   ### "MLRuntimeError.*'b'"
#> null
---
// 4.8 slices on arrays
a = [0, 1, 2, 3, 4, 5];
print(a[1:3], a[:2], a[4:], a[:], a[::2], a[1:5:2]);
print(a[-2:], a[:-1], a[::-1], a[1:2:]);
// out-of-range bounds clamp; a reversed range is empty
b = [1, 2, 3];
print(b[100:], b[5:2], b[-100:1], b[1:100], b[::]);
#> [1, 2] [0, 1] [4, 5] [0, 1, 2, 3, 4, 5] [0, 2, 4] [1, 3]
#> [4, 5] [0, 1, 2, 3, 4] [5, 4, 3, 2, 1, 0] [1]
#> [] [] [1] [2, 3] [1, 2, 3]
---
// 4.8 slices on strings
s = "abcdef";
print(s[1:3], s[:2], s[-3:], s[::-1], s[::2]);
print("[" + s[4:2] + "]");
#> bc ab def fedcba ace
#> []
---
// 4.8 slice step zero is an error
a = [1, 2, 3];
b = a[::0];   ### "MLRuntimeError.*step"
---
// 4.8 a slice is a new (shallow) copy
a = [1, [2]];
t = a[:];
a.append(3);
a[1].append(9);
print(a, t, t == a, len(t));
#> [1, [2, 9], 3] [1, [2, 9]] false 2
---
// 4.8 programs detect the end of an array by catching the index error
a = ["x", "y", "z"];
i = 0;
count = 0;
while (true) {
    try {
        v = a[i];
    } except (e) {
        break;
    }
    count = count + 1;
    i = i + 1;
}
print(count);
#> 3
---
// 3.2 / 4.8: arrays never grow by index assignment
a = [1, 2];
a[1] = 5;
a[-2] = 4;
print(a);
a[2] = 3;   ### "MLRuntimeError.*out of range"
#> [4, 5]
---
// 4.9 member access on objects: a missing key is null
o = {name: "x", n: 0, a: {b: {c: "deep"}}};
print(o.name, o.n, o.missing);
print(o.missing == null, typeof(o.missing));
print(o.a.b.c, o.a.b, o.a.nope);
#> x 0 null
#> true null
#> deep {'c': 'deep'} null
---
// 4.9 reading a member of null is an error
o = {a: 1};
x = o.missing.x;   ### "MLRuntimeError"
---
// 4.9 .length on string and array variables; on an ML object it is a key lookup
s = "hello";
a = [3, 1, 2];
o = {a: 1};
o2 = {length: 42};
print(s.length, a.length, "".length);
print(o.length, o2.length);
#> 5 3 0
#> null 42
---
// D7: .length works on every string/array expression, literals included
function mk() { return [1, 2, 3, 4]; }
s = "ab";
print("abc".length, [1, 2].length, [].length);
print(mk().length, [[1], [1, 2]][1].length, (s + "cd").length);
#> 3 2 0
#> 4 2 4
---
// 4.9 object-literal member access; keywords as keys and member names
print({a: 1, b: 2}.b);
o = {if: 1, while: 2, read: 3, return: 4, import: 5};
print(o.if, o.while, o.read, o.return, o.import);
#> 2
#> 1 2 3 4 5
---
// D8: keys of ML objects are data, single underscores included
o = {_id: 7, _type: "t"};
print(o._id, o["_type"]);
#> 7 t
---
// 4.9 a member that a number does not have is an error
x = 5;
y = x.real;   ### "MLRuntimeError.*real"
---
// 4.9 members of functions, unknown members of strings/arrays, members of null
function fails(f) {
    try {
        f();
    } except (e) {
        return "error";
    }
    return "ok";
}
function g() { return 1; }
s = "abc";
a = [1];
n = null;
b = true;
print(fails(fn() => g.name), fails(fn() => s.nothing), fails(fn() => a.first), fails(fn() => n.x));
print(fails(fn() => b.x), fails(fn() => s.upper), fails(fn() => a.length));
#> error error error error
#> error ok ok
---
// 4.9 / D8: dunder member names are refused statically (nothing runs)
print("never");
s = "abc";
y = s.__class__;   ### "__class__"
---
// 4.10 objects with functions: o.f(x) calls the function stored under key f
acct = {balance: 0, deposit: fn(n) => n * 2};
print(acct.deposit(5));
ops = {add: fn(a, b) => a + b, neg: fn(a) => -a};
print(ops.add(2, 3), ops.neg(4));
// an object with a key named like a dict method calls that function
o = {keys: fn() => "mine", items: fn(x) => x + 1};
print(o.keys(), o.items(1));
#> 10
#> 5 -4
#> mine 2
---
// 4.10 no 'this': methods share state through closures
function makeCounter() {
    state = {n: 0};
    function inc() {
        state.n = state.n + 1;
        return state.n;
    }
    return {inc: inc, get: fn() => state.n};
}
c = makeCounter();
c.inc();
c.inc();
print(c.get(), c.inc());
#> 2 3
---
// 4.10 calling a missing property is an error
o = {a: 1};
o.missing();   ### "MLRuntimeError.*missing"
---
// 4.10 dict methods are unavailable on ML objects; use the builtins
o = {a: 1, b: 2};
print(keys(o), values(o));
o.keys();   ### "MLRuntimeError.*keys"
#> ['a', 'b'] [1, 2]
---
// 4.10 more failing calls on objects: each is a catchable error
function fails(f) {
    try {
        f();
    } except (e) {
        return "error";
    }
    return "ok";
}
o = {a: 5, f: fn() => 1};
print(fails(fn() => o.a(1)), fails(fn() => o.get("a")), fails(fn() => o.items()), fails(fn() => o.f()));
#> error error error ok
---
// 4.10 string methods: case, strip, replace, split, join
s = "Hello World";
print(s.upper(), s.lower(), s.swapcase(), "hello world".title(), "hello".capitalize());
p = "  x y  ";
print("[" + p.strip() + "]", "[" + p.lstrip() + "]", "[" + p.rstrip() + "]");
print("a-b-c".replace("-", "+"), "a-b".split("-"), "a b  c".split(), "a,b,c".rsplit(",", 1));
print(",".join(["a", "b"]), "".join(["x", "y", "z"]), "xxhixx".strip("x"));
#> HELLO WORLD hello world hELLO wORLD Hello World Hello
#> [x y] [x y  ] [  x y]
#> a+b+c ['a', 'b'] ['a', 'b', 'c'] ['a,b', 'c']
#> a,b xyz hi
---
// 4.10 string methods: searching, counting and predicates
s = "banana";
print(s.find("an"), s.rfind("an"), s.find("z"), s.index("n"), s.rindex("n"), s.count("a"));
print(s.startswith("ban"), s.endswith("na"), s.startswith("x"));
print("123".isdigit(), "12a".isdigit(), "abc".isalpha(), "ab1".isalnum(), " \t".isspace());
print("Hello World".istitle(), "ABC".isupper(), "abc".islower(), "aBc".islower());
#> 1 3 -1 2 4 3
#> true true false
#> true false true true true
#> true true true false
---
// 4.10 string methods: padding
s = "ab";
print("[" + s.center(6) + "]", "[" + s.ljust(4) + "]", "[" + s.rjust(4, "*") + "]");
#> [  ab  ] [ab  ] [**ab]
---
// 4.10 JavaScript-style methods do not exist
a = [1, 2];
a.push(3);   ### "MLRuntimeError.*push"
---
// 4.10 methods outside the whitelists, bad method arguments: catchable errors
function fails(f) {
    try {
        f();
    } except (e) {
        return "error";
    }
    return "ok";
}
s = "abc";
a = [2, 1];
x = 5;
n = null;
b = true;
// not on the string whitelist; length is a property, not a method
print(fails(fn() => s.zfill(5)), fails(fn() => s.splitlines()), fails(fn() => s.format(1)), fails(fn() => s.encode()), fails(fn() => s.length()));
// JavaScript names
print(fails(fn() => s.toUpperCase()), fails(fn() => x.toString()), fails(fn() => a.map(fn(v) => v)), fails(fn() => s.includes("a")));
// methods on numbers, booleans, null
print(fails(fn() => n.foo()), fails(fn() => b.foo()), fails(fn() => x.foo()));
// Python semantics of the methods: missing elements, bad argument types
print(fails(fn() => s.index("z")), fails(fn() => a.index(9)), fails(fn() => ",".join(["a", 1])), fails(fn() => a.sort(fn(p, q) => p - q)));
print(fails(fn() => s.upper()), fails(fn() => a.index(1)));
#> error error error error error
#> error error error error
#> error error error
#> error error error error
#> ok ok
---
// 4.10 array methods that mutate in place and return null
a = [3, 1, 2];
r = a.append(4);
print(r, a);
a.extend([5, 6]);
a.insert(0, 0);
print(a);
a.remove(5);
a.reverse();
print(a);
a.sort();
print(a);
a.clear();
print(a, len(a));
#> null [3, 1, 2, 4]
#> [0, 3, 1, 2, 4, 5, 6]
#> [6, 4, 2, 1, 3, 0]
#> [0, 1, 2, 3, 4, 6]
#> [] 0
---
// 4.10 array methods that return values
a = [5, 6, 7, 6];
print(a.pop(), a);
print(a.pop(0), a);
print(a.index(6), a.count(6), a.count(9));
b = a.copy();
b.append(1);
print(a, b);
s = ["b", "B", "a", "A"];
s.sort();
print(s);
#> 6 [5, 6, 7]
#> 5 [6, 7]
#> 0 1 0
#> [6, 7] [6, 7, 1]
#> ['A', 'B', 'a', 'b']
---
// 4.10 method calls on call results and on indexed values
function words() { return "a b c"; }
rows = [[3, 1], [2]];
rows[0].sort();
print(words().split(), rows, "x".upper().lower());
#> ['a', 'b', 'c'] [[1, 3], [2]] x
---
// 4.10 dicts with a non-string key (12.31) get the dict method whitelist
d = {};
d[1] = "one";
print(d.get(1), d.get(2, "none"), d.keys());
#> one none [1]
---
// 4.11 calling a non-callable value is an error
x = 5;
print("before");
x(1);   ### "MLRuntimeError"
#> before
---
// 4.11 / 3.15: calling a name bound nowhere compiles (with a warning) and fails when the
// call runs, as a catchable error
print("before");
try { undefinedFn(1); } except (e) { print("caught", e.type); }
undefinedFn(2);   ### "'undefinedFn' is not defined"
#> before
#> caught NameError
---
// 4.11 builtins and stdlib functions stored in variables can be called
import math;
f = len;
g = str;
h = math.sqrt;
print(f([1, 2]), g(true) + "!", h(16), typeof(h));
#> 2 true! 4.0 function
---
// 4.11 arguments are evaluated left to right
function g(v) {
    print("arg", v);
    return v;
}
function three(a, b, c) { return [a, b, c]; }
print(three(g(1), g(2), g(3)));
#> arg 1
#> arg 2
#> arg 3
#> [1, 2, 3]
---
// 4.11 arguments are passed by reference: the callee can mutate arrays and objects
function fill(arr, obj) {
    arr.append("x");
    obj.k = "v";
}
// rebinding a parameter does not affect the caller
function rebind(arr) {
    arr = [99];
    return arr;
}
a = [];
o = {};
fill(a, o);
print(a, o);
print(rebind(a), a);
#> ['x'] {'k': 'v'}
#> [99] ['x']
---
// 4.12 array literals hold any expressions, including functions
x = 2;
a = [x, x * 2, "s", [x], {k: x}, fn(y) => y + x];
f = a[5];
print(len(a), a[:5], f(1));
#> 6 [2, 4, 's', [2], {'k': 2}] 3
---
// 4.12 object literal keys: identifiers and strings, in source order
o = {b: 1, "a key": 2, a: 3};
print(o, keys(o));
print(o["a key"]);
// duplicate keys: the last value wins at the first key's position
d = {a: 1, b: 2, a: 3};
print(d);
#> {'b': 1, 'a key': 2, 'a': 3} ['b', 'a key', 'a']
#> 2
#> {'a': 3, 'b': 2}
---
// 4.12 each evaluation of a literal makes a new object; values are references
function mk() { return {n: [0]}; }
p = mk();
q = mk();
p.n.append(1);
print(p, q, p == q);
a = [1];
b = a;
b.append(2);
o = {x: 1};
r = o;
r.x = 5;
print(a, o);
#> {'n': [0, 1]} {'n': [0]} false
#> [1, 2] {'x': 5}
---
// 1.5.5 / 4.12: trailing commas are not allowed
print("never");
a = [1, 2, ];   ### "MLSyntaxError"
---
// 2.3: numeric object keys are a syntax error
print("never");
o = {1: "x"};   ### "MLSyntaxError"
---
// 4.13 arrow functions; nested arrows close over the outer parameter
inc = fn(x) => x + 1;
add = fn(a, b) => a + b;
zero = fn() => 0;
print(inc(1), add(2, 3), zero());
adder = fn(k) => fn(x) => x + k;
add5 = adder(5);
add1 = adder(1);
print(add5(10), add1(10));
#> 2 5 0
#> 15 11
---
// 4.13 / 2.2: the arrow body extends as far right as possible,
// but inside an argument list or array it ends at the next comma
sign = fn(x) => x > 0 ? "pos" : "neg";
f = fn(x) => x * 2 + 1;
print(sign(3), sign(-3), f(2));
function apply(g, v) { return g(v); }
print(apply(fn(x) => x * 10, 4));
print([fn(x) => x, 2][1]);
#> pos neg 5
#> 40
#> 2
---
// 4.13 / D7: block-bodied arrows work
f = fn(x) => {
    y = x * 2;
    return y + 1;
};
print(f(5));
#> 11
---
// 4.13 a block-bodied arrow without return gives null; it closes over variables
acc = [];
add = fn(n) => { acc.append(n); };
count = fn() => {
    return len(acc);
};
r = add(3);
add(4);
print(r, acc, count());
#> null [3, 4] 2
---
// 4.13 / 2.3: a body that reads as an object literal returns an object
f = fn(x) => {a: x};
print(f(1));
#> {'a': 1}
---
// 4.13 arrows are stored, passed, returned and placed in objects
function twice(f) { return fn(x) => f(f(x)); }
o = {sq: fn(x) => x * x};
g = twice(o.sq);
print(g(3), o.sq(4));
#> 81 16
---
// 4.13 arrows have required positional parameters
f = fn(a, b) => a;
print(f(1, 2));
f(1);   ### "MLRuntimeError.*(missing|argument)"
#> 1
---
// 4.14 operands, elements, object values, comparisons: left to right
function t(v) {
    print("t", v);
    return v;
}
r = t(1) + t(2) * t(3);
a = [t("a"), t("b")];
o = {x: t("c"), y: t("d")};
c = t(4) < t(5);
s = "" + t("x") + t("y");
print(r, c, s);
#> t 1
#> t 2
#> t 3
#> t a
#> t b
#> t c
#> t d
#> t 4
#> t 5
#> t x
#> t y
#> 7 true xy
---
// 3.2 / 4.14: in an assignment the right-hand side is evaluated first
function t(v) {
    print("t", v);
    return v;
}
a = [0, 0];
a[t(1)] = t(5);
print(a);
#> t 5
#> t 1
#> [0, 5]
---
// 4.16 common idioms: membership, growing arrays, defaults, removing a key
arr = [1, 2, 3];
s = "hello";
o = {a: 1, x: 2, b: 3};
print(arr.count(2) > 0, s.find("ll") >= 0, o.x != null, o.z != null);
arr = arr + [4];
name = null;
print(arr, name || "default");
n = {};
for (k in o) {
    if (k != "x") {
        n[k] = o[k];
    }
}
print(n);
#> true true true false
#> [1, 2, 3, 4] default
#> {'a': 1, 'b': 3}
---
// 4.16 int() truncates, x // 1 stays a float for a float
import math;
print(int(3.9), int(-3.9), 3.9 // 1, math.floor(3.9));
#> 3 -3 3.0 3
