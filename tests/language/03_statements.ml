// Spec section 3: statements and their semantics (DESIGN D5, D7 apply).
// 3.0 top-level items run in textual order; a definition binds its name when reached;
// function bodies may call functions defined later in the file
print("one");
function a() { return b() + 1; }
print("two");
function b() { return 41; }
print(a());
#> one
#> two
#> 42
---
// 3.0 no hoisting: calling a top-level function before its definition ran fails at run time
print("start");
f();   ### "'f'"
function f() { print("f"); }
#> start
---
// 3.0 / 3.4 / 5.5 direct and mutual recursion
function isEven(n) { return n == 0 ? true : isOdd(n - 1); }
function isOdd(n) { return n == 0 ? false : isEven(n - 1); }
function fact(n) { if (n <= 1) { return 1; } return n * fact(n - 1); }
print(isEven(10), isOdd(7), isOdd(4), fact(5), fact(25));
#> true true false 120 15511210043330985984000000
---
// 3.0 a top-level return (with or without a value) quietly ends the program
print("a");
if (true) {
  return 5;
}
print("b");
#> a
---
// 3.0 / 3.8 break outside a loop is rejected before anything runs
print("a");
break;   ### "break"
---
// 3.8 a loop around a function does not make continue inside the function legal
for (i in [1]) {
  function f() {
    continue;   ### "continue"
  }
}
---
// 3.2 assignment creates variables, which change type freely; index assignment,
// negative indices; arrays grow with append or concatenation
x = 1;
x = "s";
x = [x];
a = [1, 2, 3];
a[0] = 7;
a[-1] = 9;
a.append(4);
a = a + [5];
print(x, typeof(x), a);
#> ['s'] array [7, 2, 9, 4, 5]
---
// 3.2 arrays never grow by index assignment
a = [1];
print("before");
a[1] = 2;   ### "array assignment index out of range"
#> before
---
// 3.2 index and member assignment create or replace object keys; values are shared by reference
o = {a: 1};
o["b"] = 2;
o.a = 3;
o.c = 4;
p = o;
p.d = 5;
arr = [1];
alias = arr;
alias.append(2);
print(o, arr);
#> {'a': 3, 'b': 2, 'c': 4, 'd': 5} [1, 2]
---
// 3.2 strings are immutable
s = "abc";
s[0] = "x";   ### "item assignment|immutable"
---
// 3.2 slice assignment replaces elements; a[:] = [] clears
a = [1, 2, 3, 4];
a[1:3] = [9];
print(a);
a[:] = [];
print(a);
#> [1, 9, 4]
#> []
---
// 3.2 member assignment on an array is an error
a = [1];
a.x = 2;   ### "array indices must be integers|'x'"
---
// 3.2 nested targets mix member and index access
o = {a: [1, 2], b: {c: {}}};
o.a[0] = 5;
o.b.c.d = 6;
rows = [{n: 1}];
rows[0].n = 7;
print(o, rows);
#> {'a': [5, 2], 'b': {'c': {'d': 6}}} [{'n': 7}]
---
// 3.2 the right-hand side is evaluated before the target's index
function k() { print("key"); return 0; }
function v() { print("value"); return 9; }
a = [0];
a[k()] = v();
print(a);
#> value
#> key
#> [9]
---
// 3.3 array patterns unpack any iterable (arrays, strings, object keys); swapping;
// object patterns read keys of the same name
[a, b] = [1, 2];
[c, d] = "xy";
[e, f] = {p: 1, q: 2};
print(a, b, c, d, e, f);
[a, b] = [b, a];
{name, age} = {name: "Ann", age: 30, extra: true};
print(a, b, name, age);
#> 1 2 x y p q
#> 2 1 Ann 30
---
// 3.3 array destructuring needs an exact length match (too many values)
[a, b] = [1, 2, 3];   ### "too many values to unpack"
---
// 3.3 array destructuring needs an exact length match (not enough values)
[a, b, c] = [1, 2];   ### "not enough values to unpack"
---
// 3.3 a missing key in an object pattern is an error
print("before");
{a, zz} = {a: 1};   ### "zz"
#> before
---
// 3.3 / D7 destructuring evaluates its right side once
calls = 0;
function mk() { nonlocal calls; calls = calls + 1; return {p: 1, q: 2}; }
function arr() { nonlocal calls; calls = calls + 1; return [3, 4]; }
{p, q} = mk();
[r, s] = arr();
print(p, q, r, s, calls);
#> 1 2 3 4 2
---
// 3.3 destructured names are ordinary variables (locals inside functions)
function area(pair) {
  [w, h] = pair;
  return w * h;
}
[m, n] = [1, 2];
function total() { return m + n; }
print(area([3, 4]), total());
#> 12 3
---
// 3.3 patterns contain plain names only: no nesting
[a, [b, c]] = [1, [2, 3]];   ### "MLSyntaxError"
---
// 3.4 parameters are positional; calling with too few arguments fails
function f(n) {
  return n;
}
print("before");
f();   ### "missing 1 required positional argument: 'n'"
#> before
---
// 3.4 calling with too many arguments fails
function f(n) {
  return n;
}
f(1, 2);   ### "takes 1 positional argument but 2 were given"
---
// 3.4 duplicate parameter names are rejected before anything runs
print("before");
function f(a, a) {   ### "(?i)duplicate"
  return a;
}
---
// 3.4 / 3.9 an empty body, a bare return and falling off the end return null;
// arguments are passed by object reference
function e() { }
function r() { return; }
function fill(a, o) { a.append(1); o.k = "v"; }
items = [];
obj = {};
print(e(), r(), fill(items, obj), items, obj);
#> null null null [1] {'k': 'v'}
---
// 3.4 a definition inside a block binds when that block runs; a later one replaces it
if (true) {
  function pick() { return "first"; }
} else {
  function pick() { return "second"; }
}
print(pick());
function pick() { return "third"; }
print(pick());
#> first
#> third
---
// 3.4 / D7 a user function named like a builtin shadows it
function len(x) { return "mine"; }
print(len([1, 2, 3]));
#> mine
---
// 3.5 truthiness: false, null, 0, 0.0, "", [], {} are falsy, everything else is truthy
function f() { }
out = [];
for (v in [false, null, 0, 0.0, "", [], {}, "0", "false", " ", [0], {a: null}, -1, 0.1, f]) {
  if (v) { out.append("T"); } else { out.append("F"); }
}
print(out);
#> ['F', 'F', 'F', 'F', 'F', 'F', 'F', 'T', 'T', 'T', 'T', 'T', 'T', 'T', 'T']
---
// 3.5 conditions are evaluated in order and only the first true branch runs
function t(x) { print("test", x); return x; }
if (t(0)) { print("a"); } elif (t(1)) { print("b"); } elif (t(2)) { print("c"); } else { print("d"); }
if (t(false)) { print("e"); } else { print("f"); }
#> test 0
#> test 1
#> b
#> test false
#> f
---
// 3.6 while re-evaluates its condition before each iteration
i = 0;
while (i < 3) {
  print(i);
  i = i + 1;
}
a = [1, 2, 3];
s = 0;
while (a) { s = s + a.pop(); }
print(i, s, a);
#> 0
#> 1
#> 2
#> 3 6 []
---
// 3.6 there is no do/while
do {   ### "MLSyntaxError"
  x = 1;
} while (false);
---
// 3.7 for-in iterates arrays, strings, object keys (insertion order) and ranges
out = [];
for (x in [1, "a", true]) { out.append(x); }
for (c in "bc") { out.append(c); }
for (k in {z: 1, a: 2}) { out.append(k); }
for (i in range(2)) { out.append(i); }
print(out);
#> [1, 'a', true, 'b', 'c', 'z', 'a', 0, 1]
---
// 3.7 iterating a number is an error
print("before");
for (x in 5) {   ### "not iterable"
  print(x);
}
#> before
---
// 3.7 iterating null is an error
v = null;
for (x in v) {   ### "not iterable"
  print(x);
}
---
// 3.7 / 5.3 the loop variable keeps its last value; closures made in a loop share it
fs = [];
for (i in range(3)) { fs.append(fn() => i); }
for (ch in "xyz") { }
g = fs[0];
h = fs[2];
print(i, ch, g(), h());
#> 2 z 2 2
---
// 3.7 there is no C-style for loop
for (i = 0; i < 3; i = i + 1) {   ### "MLSyntaxError"
  print(i);
}
---
// 3.7 no destructuring in the loop head
for ([i, v] in [[0, "a"]]) {   ### "MLSyntaxError"
  print(i);
}
---
// 3.7 the idiom: destructure inside the body
for (p in [[0, "a"], [1, "b"]]) {
  [i, v] = p;
  print(i, v);
}
#> 0 a
#> 1 b
---
// 3.7 mutating an array while iterating follows Python list iteration
a = [1, 2, 3];
for (x in a) {
  print(x);
  if (x == 1) { a.remove(x); }
}
print(a);
#> 1
#> 3
#> [2, 3]
---
// 3.8 break leaves only the innermost loop
for (i in range(3)) {
  for (j in range(3)) {
    if (j == 1) { break; }
    print(i, j);
  }
}
#> 0 0
#> 1 0
#> 2 0
---
// 3.8 continue skips to the next iteration of the innermost loop
out = [];
for (i in range(6)) {
  if (i % 2 == 0) { continue; }
  out.append(i);
}
i = 0;
while (true) {
  i = i + 1;
  if (i > 3) { break; }
  if (i == 2) { continue; }
  out.append(i * 10);
}
print(out);
#> [1, 3, 5, 10, 30]
---
// 3.9 return leaves the function from inside loops
function find(a, t) {
  for (x in a) {
    while (true) {
      if (x == t) { return "found " + x; }
      break;
    }
  }
  return "missing";
}
print(find([1, 2, 3], 2), find([], 1));
#> found 2 missing
---
// 3.9 a return inside try runs the finally block first
function f() {
  try {
    return "try";
  } finally {
    print("finally");
  }
}
print(f());
#> finally
#> try
---
// 3.9 a return inside finally overrides a pending return or error
function g() {
  try { return 1; } finally { return 2; }
}
function h() {
  try { throw {message: "lost"}; } finally { return "override"; }
}
print(g(), h());
#> 2 override
---
// 3.10 an uncaught throw ends the program; earlier output is kept
print("a");
throw {message: "boom", code: 1};   ### "boom"
print("b");
#> a
---
// 3.10 a throw inside a function propagates to the caller's try
function check(n) {
  if (n < 0) { throw {message: "negative: " + n}; }
  return n;
}
try {
  print(check(1));
  print(check(-2));
  print("not reached");
} except (e) {
  print("caught", str(e));
}
#> 1
#> caught negative: -2
---
// 3.11 except binds the error, then finally runs
try {
  print("body");
  x = [1][5];
  print("not reached");
} except (e) {
  print("caught:", str(e));
} finally {
  print("finally");
}
#> body
#> caught: array index out of range
#> finally
---
// 3.11 without an error the except block is skipped; except without a variable
try {
  print("body");
} except (e) {
  print("not reached");
} finally {
  print("finally");
}
try {
  x = 1 / 0;
} except {
  print("caught");
}
#> body
#> finally
#> caught
---
// 3.11 a try with neither except nor finally is legal and lets errors propagate
try {
  print("inside");
}
try {
  y = 1 // 0;   ### "by zero"
}
print("not reached");
#> inside
---
// 3.11 / 13.20 several except clauses: the first one catches everything;
// an error raised in an except block propagates outward
try {
  throw {message: "m"};
} except (a) {
  print("first", str(a));
} except (b) {
  print("second");
}
try {
  try {
    throw {message: "inner"};
  } except (e) {
    throw {message: "from except: " + str(e)};
  }
} except (outer) {
  print(str(outer));
}
#> first m
#> from except: inner
---
// 3.11 nested try: the inner finally runs before the outer except
try {
  try {
    x = {}["missing"];
  } finally {
    print("inner finally");
  }
} except (e) {
  print("outer caught");
}
#> inner finally
#> outer caught
---
// 3.11 finally runs when leaving by continue or break
for (i in range(3)) {
  try {
    if (i == 1) { continue; }
    if (i == 2) { break; }
    print("body", i);
  } finally {
    print("finally", i);
  }
}
#> body 0
#> finally 0
#> finally 1
#> finally 2
---
// 3.11 finally runs before an uncaught error ends the program
print("start");
try {
  throw {message: "escaping"};   ### "escaping"
} finally {
  print("cleanup");
}
print("not reached");
#> start
#> cleanup
---
// 3.11 / 6.3 (Ours, superset) the except variable stays bound after its block
try {
  throw {message: "x"};
} except (e) {
  saved = e;
}
print(str(saved), e.message, str(e) == str(saved));
#> x x true
---
// 3.12 / 5.4 a top-level function can update top-level variables with nonlocal,
// even one first assigned after the definition, and several at once
total = 0;
function add(n) { nonlocal total; total = total + n; }
function inc() { nonlocal counter; counter = counter + 1; }
function swap() { nonlocal a, b; [a, b] = [b, a]; }
counter = 10;
a = 1;
b = 2;
add(5);
add(2);
inc();
swap();
print(total, counter, a, b);
#> 7 11 2 1
---
// 3.12 / 5.3 nonlocal in nested functions: each call makes fresh variables;
// without nonlocal an assignment makes a local
function counter() {
  n = 0;
  function next1() { nonlocal n; n = n + 1; return n; }
  return next1;
}
c1 = counter();
c2 = counter();
x = 1;
function f() { x = 2; return x; }
print(c1(), c1(), c2(), f(), x);
#> 1 2 1 2 1
---
// 3.12 / 5.2 reading such a local before assigning it fails
count = 0;
function bump() {
  count = count + 1;   ### "'count'"
}
bump();
---
// 3.12 nonlocal at the top level is rejected before anything runs
x = 1;
print("before");
nonlocal x;   ### "nonlocal"
---
// 3.12 nonlocal needs an enclosing binding of the name
print("before");
function f() {
  nonlocal zz;   ### "zz"
  zz = 1;
}
---
// 3.12 a parameter cannot be declared nonlocal in its own function
x = 1;
function f(x) {
  nonlocal x;   ### "(?i)parameter|nonlocal"
  x = 2;
}
---
// 3.13 imports of pure modules need no capability
import math;
import json;
print(math.floor(3.7), json.parse('{"k": [1]}'));
#> 3 {'k': [1]}
---
// 3.13 / 11.1 dangerous imports are refused before anything runs
print("before");
import os;   ### "MLSecurityError"
---
// 3.14 blocks do not introduce scopes
if (true) { inner = 5; }
for (i in [1]) { inLoop = "loop"; }
while (true) { inWhile = "while"; break; }
try { inTry = "try"; } finally { inFinally = "finally"; }
print(inner, inLoop, inWhile, inTry, inFinally);
#> 5 loop while try finally
---
// 3.14 a variable assigned in a block that did not run is not bound
if (false) { never = 1; }
print(never);   ### "'never'"
---
// 3.15 an unknown name is a compile-time error: nothing runs
print("start");
print(nope);   ### "unknown name 'nope'"
---
// 3.15 / 11.2 host builtins that are not ML builtins cannot be named
x = list;   ### "unknown name 'list'"
---
// 3.15 / 11.1 a dangerous host name used as a value is refused
print("before");
x = eval;   ### "MLSecurityError"
---
// 3.15 names bound by for, except, destructuring, import, parameters are known
for (i in [1]) { }
try { throw {message: "m"}; } except (err) { kept = str(err); }
[d1, d2] = [2, 3];
import math;
function f(p) { return p + i + d1 + d2; }
print(f(1), kept, math.floor(1.5));
#> 7 m 1
---
// 3.15 / 13.16 a use textually before the assignment is fine when it runs later
i = 0;
while (i < 3) {
  if (i > 0) { print(prev); }
  prev = i;
  i = i + 1;
}
#> 0
#> 1
---
// 3.15 / 5.2 functions read top-level variables at call time
x = 1;
function show() { return x; }
x = 2;
print(show());
#> 2
---
// 3.15 a local of one function is not visible in another
function a() { tmp = 1; }
function b() {
  return tmp;   ### "'tmp'"
}
a();
print(b());
---
// 3.15 calling a name that is never defined is an error
undefinedFn(1);   ### "undefinedFn"
