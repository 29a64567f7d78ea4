// Spec language.md section 5 (functions, closures and scope) with DESIGN D7 applied.
// The format of these files is described in conftest.py.

// 5.1 / 3.14: blocks do not create scopes
if (true) {
    inside = "visible";
}
for (i in [1, 2, 3]) {
    last = i * 10;
}
while (false) {
    never = 1;
}
print(inside, last, i);
#> visible 30 3
---
// 5.1: each call of a function gets its own scope
function f(n) {
    local = n * 2;
    if (n > 0) {
        inner = f(n - 1);
        return [local, inner];
    }
    return local;
}
print(f(2));
// variables assigned in a function do not leak into the program scope
function g() {
    x = 5;
    return x;
}
x = 1;
print(g(), x);
#> [4, [2, 0]]
#> 5 1
---
// 5.2: a name only read in a function is looked up at call time (late binding)
x = 1;
function show() { return x; }
x = 2;
print(show());
x = 3;
print(show());
// functions read top-level variables first assigned after their definition
function area() { return width * height; }
width = 3;
height = 4;
print(area());
#> 2
#> 3
#> 12
---
// 5.2: assigning a name anywhere in a function makes it local for the whole body
count = 0;
function bump() {
    count = count + 1;   ### "MLRuntimeError.*'count'"
}
print("start");
bump();
#> start
---
// 5.2: ... even when the assignment comes later in the body,
// or sits in a branch that does not run
function fails(f) {
    try {
        f();
    } except (e) {
        return "error";
    }
    return "ok";
}
x = 1;
function later() {
    y = x;
    x = 2;
    return y;
}
function branch(flag) {
    if (flag) {
        x = 2;
    }
    return x;
}
print(fails(later), fails(fn() => branch(false)), branch(true), x);
#> error error 2 1
---
// 5.2: a for variable, an except variable and a nested function are local
i = "outer";
e = "outer";
function helper() { return "top"; }
function f() {
    for (i in range(3)) {
    }
    return i;
}
function g() {
    try {
        throw {message: "boom"};
    } except (e) {
        return str(e);
    }
}
function h() {
    function helper() { return "nested"; }
    return helper();
}
print(f(), g(), h());
print(i, e, helper());
#> 2 boom nested
#> outer outer top
---
// 5.2: nested functions read enclosing function variables and top-level ones;
// mutating a top-level array through a method needs no nonlocal
top = "T";
items = [];
function outer() {
    mid = "M";
    function inner() {
        items.append(mid);
        return top + mid;
    }
    return inner();
}
print(outer(), items);
#> TM ['M']
---
// 5.2: a builtin used as a value; a variable named like a builtin is a plain value
f = len;
g = max;
print(f("abc"), g([3, 9, 2]), typeof(f));
len = 5;
print(len + 1);
#> 3 9 function
#> 6
---
// 5.3: the counter example: closures capture variables, each call has fresh ones
function counter() {
    n = 0;
    function next1() { nonlocal n; n = n + 1; return n; }
    return next1;
}
c1 = counter();
c2 = counter();
print(c1(), c1(), c2());
#> 1 2 1
---
// 5.3: closures capture variables, not values, and share them with siblings
function make() {
    v = "before";
    get = fn() => v;
    v = "after";
    return get;
}
function pair() {
    n = 0;
    function inc() { nonlocal n; n = n + 1; }
    function get() { return n; }
    return {inc: inc, get: get};
}
g = make();
p = pair();
p.inc();
p.inc();
print(g(), p.get());
#> after 2
---
// 5.3: arrow closures capture the same way; closures over parameters outlive the call
adder = fn(k) => fn(x) => x + k;
add2 = adder(2);
add10 = adder(10);
function multiplier(m) {
    function times(x) { return x * m; }
    return times;
}
double = multiplier(2);
triple = multiplier(3);
print(add2(1), add10(1), add2(5));
print(double(5), triple(5), double(triple(2)));
#> 3 11 7
#> 10 15 12
---
// 5.3: closures made in a loop share the loop variable (late binding),
// at the top level and inside a function
fs = [];
for (i in range(3)) {
    fs.append(fn() => i);
}
f0 = fs[0];
f2 = fs[2];
function build() {
    gs = [];
    for (name in ["a", "b"]) {
        gs.append(fn() => name);
    }
    return gs;
}
g0 = build()[0];
print(f0(), f2(), g0());
#> 2 2 b
---
// 5.3: a factory function gives each closure its own variable
function constant(v) { return fn() => v; }
fs = [];
for (i in range(3)) {
    fs.append(constant(i));
}
out = [];
for (f in fs) {
    out.append(f());
}
print(out);
#> [0, 1, 2]
---
// 5.4: a top-level function can nonlocal a top-level variable
total = 0;
function add(n) { nonlocal total; total = total + n; }
add(5);
add(2);
print(total);
// the top-level variable may be first assigned after the function definition
function reset() { nonlocal state; state = "reset"; }
state = "initial";
reset();
print(state);
#> 7
#> reset
---
// 5.4: nonlocal with several names
a = 1;
b = 2;
function swap() {
    nonlocal a, b;
    t = a;
    a = b;
    b = t;
}
swap();
print(a, b);
#> 2 1
---
// 5.4: nonlocal binds the nearest enclosing scope that has the name
x = 0;
function outer() {
    x = 10;
    function inner() {
        nonlocal x;
        x = x + 1;
    }
    inner();
    inner();
    return x;
}
print(outer(), x);
#> 12 0
---
// 5.4: nonlocal through two levels of nesting
function a() {
    n = 1;
    function b() {
        function c() {
            nonlocal n;
            n = n * 10;
        }
        c();
    }
    b();
    b();
    return n;
}
print(a());
#> 100
---
// 5.4 / D7: nonlocal in a block-bodied arrow
hits = 0;
hit = fn() => {
    nonlocal hits;
    hits = hits + 1;
    return hits;
};
hit();
print(hit(), hits);
#> 2 2
---
// 5.4: nonlocal at the top level is a compile error (nothing runs)
print("never");
nonlocal q;   ### "nonlocal"
---
// 5.4: nonlocal of a name no enclosing scope binds is a compile error
print("never");
function f() {
    nonlocal zz;   ### "'zz'"
    zz = 1;
}
---
// 5.4: a parameter cannot be declared nonlocal in its own function
print("never");
p = 1;
function f(p) {
    nonlocal p;   ### "'p'"
    p = 2;
}
---
// 5.4 (ours, a superset): `nonlocal` may follow a use of the name; the declaration covers
// the whole function
x = 1;
function f() {
    y = x;
    nonlocal x;
    x = y + 1;
}
f();
print(x);
#> 2
---
// 5.5: direct recursion
function fact(n) {
    if (n <= 1) {
        return 1;
    }
    return n * fact(n - 1);
}
function fib(n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
print(fact(5), fact(30));
print(fib(0), fib(1), fib(10), fib(20));
#> 120 265252859812191058636308480000000
#> 0 1 55 6765
---
// 5.5: mutual recursion (names resolved at call time)
function isEven(n) { return n == 0 ? true : isOdd(n - 1); }
function isOdd(n) { return n == 0 ? false : isEven(n - 1); }
print(isEven(10), isOdd(7), isEven(3));
#> true true false
---
// 5.5: recursion a few hundred levels deep works; arrows recurse through a variable
function depth(n) {
    if (n == 0) {
        return 0;
    }
    return 1 + depth(n - 1);
}
tri = fn(n) => n == 0 ? 0 : n + tri(n - 1);
print(depth(200), tri(10));
#> 200 55
---
// 5.5 / D5: runaway recursion ends the execution, even inside try
print("start");
function down(n) { return down(n + 1); } try { down(0); } except (e) { print("caught"); }   ### "recursion"
#> start
---
// 5.6: too few arguments is an error
function f(n) { return n; }
print("ok");
f();   ### "MLRuntimeError.*(missing|argument).*n"
#> ok
---
// 5.6: too many arguments is an error too; both are catchable
function pair(a, b) { return [a, b]; }
try {
    pair(1);
} except (e) {
    print("caught few");
}
try {
    pair(1, 2, 3);
} except (e) {
    print("caught many");
}
print(pair(1, 2));
pair(1, 2, 3);   ### "MLRuntimeError.*(takes|given|argument)"
#> caught few
#> caught many
#> [1, 2]
---
// 5.6: there are no default parameters
print("never");
function f(a = 1) { return a; }   ### "MLSyntaxError"
---
// 5.6: builtins fill optional trailing parameters positionally
print(round(2.567, 2), sorted([3, 1, 2], true), enumerate(["a"], 5));
#> 2.57 [3, 2, 1] [[5, 'a']]
---
// 3.4 / D7: parameter annotations are accepted and not evaluated as host expressions
function f(a: number, b: string) { return a * 2; }
g = fn(x: number) => x + 1;
print(f(2, "s"), g(1));
#> 4 2
---
// 3.4: duplicate parameter names are rejected (nothing runs)
print("never");
function f(a, a) { return a; }   ### "'a'"
---
// 5.7: return without a value and falling off the end return null;
// return ends the function early, also from inside loops
function a() { return; }
function b() { x = 1; }
function c() { }
function find(xs, target) {
    for (x in xs) {
        if (x == target) {
            return "found";
        }
    }
    return "absent";
}
print(a(), b(), c());
print(find([1, 2, 3], 2), find([], 1));
#> null null null
#> found absent
---
// 5.7: functions are values: returned, stored in arrays and objects
function makeOps() {
    return {double: fn(x) => x * 2, square: fn(x) => x * x};
}
ops = makeOps();
table = [ops.double, ops.square];
f = table[1];
print(ops.double(4), f(4), typeof(table[0]));
#> 8 16 function
---
// 5.8: ML functions, arrows and builtins called through variables and parameters
function inc(x) { return x + 1; }
function apply(f, x) { return f(x); }
g = inc;
h = fn(x) => x * 3;
print(g(1), apply(inc, 5), apply(h, 5), apply(fn(x) => -x, 5));
print(apply(len, [1, 2, 3]), apply(str, true), apply(abs, -4));
#> 2 6 15 -5
#> 3 true 4
---
// 5.8: stdlib functions through variables and parameters
import math;
function apply(f, x) { return f(x); }
fl = math.floor;
print(fl(2.7), apply(math.sqrt, 9));
#> 2 3.0
---
// 5.8 / D7: methods extracted from strings and arrays are callable values,
// bound to their receiver
s = "hello";
up = s.upper;
s = "zz";
a = [1];
push = a.append;
push(2);
push(3);
print(up(), a);
#> HELLO [1, 2, 3]
---
// 5.8: host Python builtins cannot be named (nothing runs)
print("never");
f = open;   ### "open"
---
// 5.9 / D7: a user function named like a builtin shadows it
function len(x) { return "mine"; }
print(len([1, 2]));
#> mine
---
// 5.9 / D7: a builtin shadowed inside one function only
function f() {
    function max(a, b) { return "local max"; }
    return max(1, 2);
}
print(f(), max(1, 2));
#> local max 2
---
// 5.9 / D7: a parameter named like a builtin shadows it in that function
function f(print) {
    return print + 1;
}
function g(str) {
    return str(5) + "!";
}
print(f(1), g(fn(x) => "<" + x + ">"));
#> 2 <5>!
---
// 5.9 / 13.15: a variable named str does not break string concatenation
str = "s";
n = 2;
print("a" + n, str + "x");
#> a2 sx
---
// 3.0 / 12.12: no hoisting; calling a top-level function before its definition fails
print("start");
early();   ### "early"
function early() { return 1; }
#> start
---
// 3.0: calls inside bodies may refer to functions defined later in the file
function first() { return second() + 1; }
function second() { return 10; }
print(first());
#> 11
