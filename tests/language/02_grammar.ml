// Spec section 2: grammar, precedence, syntactic restrictions (DESIGN D2, D5, D7 apply).
// 2.1 a program is a sequence of statements; any expression can be a statement
function f() { return 1; }
1 + 2;
"just a string";
[1, 2];
{a: 1};
f;
f();
print("ok");
#> ok
---
// 2.1 assignment targets: a name, an index, a member
a = [1, 2];
o = {k: {m: 0}};
a[0] = 10;
o.k.m = 20;
o["n"] = 30;
print(a, o);
#> [10, 2] {'k': {'m': 20}, 'n': 30}
---
// 2.1 a call is not an assignment target
function f() { return 1; }
f() = 1;   ### "MLSyntaxError"
---
// 2.1 function definitions with zero, one and several parameters; if/elif/else chains
function zero() { return "z"; }
function three(a, b, c) { return a + b + c; }
function kind(n) {
  if (n < 0) { return "neg"; }
  elif (n == 0) { return "zero"; }
  elif (n < 10) { return "small"; }
  else { return "big"; }
}
print(zero(), three(1, 2, 3), kind(-1), kind(0), kind(5), kind(50));
#> z 6 neg zero small big
---
// 2.1 empty blocks are allowed everywhere
function f() { }
if (true) { } elif (false) { } else { }
while (false) { }
for (x in []) { }
try { } finally { }
print(f());
#> null
---
// 2.1 object keys may be identifiers or strings of either quote style
o = {plain: 1, "with space": 2, 'single': 3};
print(o.plain, o["with space"], o.single, keys(o));
#> 1 2 3 ['plain', 'with space', 'single']
---
// 2.1 postfix chains: members, indexes and method calls (x.m().n(), f(1).g(2), arr[0].m(), a.b.c(1))
o = {a: {b: [1, {c: "deep"}]}};
print(o.a.b[1].c, o["a"]["b"][0], o.a["b"][1]["c"]);
s = " Hello ";
function mk() { return {g: fn(x) => x + 1}; }
arr = [{m: fn() => "m"}];
p = {b: {c: fn(x) => x * 3}};
print(s.strip().lower().upper(), mk().g(2), arr[0].m(), p.b.c(1));
#> deep 1 deep
#> HELLO 3 m 3
---
// 2.2 arithmetic: multiplicative over additive, left-associative; unary binds tightest
print(1 + 2 * 3, (1 + 2) * 3, 10 - 4 - 3, 100 / 10 / 5, 2 * 3 % 4, 7 - 2 + 1);
print(-2 * 3, -(2 + 3), !true == false, !(1 == 2), - - -1, !!!true);
#> 7 9 3 2.0 2 6
#> -6 -5 true true -1 false
---
// 2.2 relational over equality (a < b == c < d is (a<b) == (c<d)); && over ||
print(1 + 2 < 4, 2 < 3 == true, 1 < 2 == 3 < 4, 2 < 1 == 4 < 3, 1 < 2 == 4 < 3);
print(true || false && false, (true || false) && false, false && true || true);
print(1 == 1 && 2 == 2, 0 || 1 == 1, 1 + 1 == 2 ? "a" : "b", false || 0 ? 1 : 2);
#> true true true true false
#> true false true
#> true true a 2
---
// 2.2 the conditional is right-associative and its arms are full expressions
function grade(n) { return n > 90 ? "A" : n > 80 ? "B" : "C"; }
print(grade(95), grade(85), grade(10));
print(true ? 1 + 2 : 3 + 4, false ? 0 : true ? "x" : "y", true ? false ? 1 : 2 : 3);
#> A B C
#> 3 x 2
---
// 2.2 / D2 a parenthesised conditional groups as written
c = true;
print((c ? 10 : 20) + 5, 10 + (c ? 1 : 2), -(c ? 1 : 2), (c ? [1, 2] : [3, 4])[0]);
c = false;
print((c ? 10 : 20) + 5, 10 + (c ? 1 : 2), -(c ? 1 : 2), (c ? [1, 2] : [3, 4])[0]);
#> 15 11 -1 1
#> 25 12 -2 3
---
// 2.2 / D2 a conditional choosing between two arrow functions
t = false;
f = t ? fn(a) => a : fn(b) => b * 2;
t = true;
g = t ? fn(a) => a : fn(b) => b * 2;
print(f(5), g(5));
#> 10 5
---
// 2.2 an arrow body extends as far right as possible, but ends at ',' in a list
f = fn(x) => x + 1;
g = fn(x) => x > 0 ? "pos" : "neg";
h = fn(x) => x * 2 == 4 && x > 1;
print(f(1), g(-1), g(1), h(2));
function ap(f, v) { return f(v); }
fs = [fn(x) => x + 1, fn(x) => x * 10];
k = fs[1];
print(ap(fn(x) => x * 2, 21), k(3), len(fs));
#> 2 neg pos true
#> 42 30 2
---
// 2.2 nested arrow functions
add = fn(a) => fn(b) => a + b;
inc = add(1);
print(inc(41));
#> 42
---
// 2.2 assignment is a statement, not an operator: no chained assignment
a = b = 1;   ### "MLSyntaxError"
---
// 2.3.1 (Ours, superset) a call result, an indexed or a parenthesised value can be called
function make() { return fn(y) => y * 2; }
a = [fn(x) => x + 1];
function f(x) { return x * 3; }
print(make()(21), a[0](1), (fn(x) => x - 1)(3), (f)(2));
#> 42 2 2 6
---
// 2.3.1 the portable idiom: assign the function value, then call the name
function make() { return fn(y) => y * 2; }
g = make();
print(g(2));
#> 4
---
// 2.3.2 an if body must be a braced block
c = true;
if (c) x = 1;   ### "MLSyntaxError"
---
// 2.3.2 an if condition needs parentheses
c = true;
if c { print(1); }   ### "MLSyntaxError"
---
// 2.3.2 a loop body must be a braced block
for (x in [1]) print(x);   ### "MLSyntaxError"
---
// 2.3.3 'else if' is not allowed; use elif
x = 1;
if (x == 0) {
  print("zero");
} else if (x == 1) {   ### "MLSyntaxError"
  print("one");
}
---
// 2.3.4 no empty statements: a doubled ';'
x = 1;;   ### "MLSyntaxError"
---
// 2.3.4 no ';' after a function body
function f() {
  return 1;
};   ### "MLSyntaxError"
---
// 2.3.5 no trailing comma in an array literal
a = [1, 2,];   ### "MLSyntaxError"
---
// 2.3.5 no trailing comma in an object literal
o = {a: 1,};   ### "MLSyntaxError"
---
// 2.3.5 no trailing comma in an argument list
print(1, 2,);   ### "MLSyntaxError"
---
// 2.3.5 no trailing comma in a parameter list
function f(a, b,) {   ### "MLSyntaxError"
  return a;
}
---
// 2.3.6 / D5 throw takes an object literal or any other expression
try {
  throw {message: "bad input", code: 400};
} except (e) {
  print(e.message, e.code, str(e));
}
err = {message: "stored", code: 7};
try {
  throw err;
} except (e) {
  print(e.message, e.code);
}
try {
  throw "plain " + "text";
} except (e) {
  print(str(e), e.message);
}
#> bad input 400 bad input
#> stored 7
#> plain text plain text
---
// 2.3.6 / D5 an uncaught thrown string ends the program with that message
print("before");
throw "stopped here";   ### "stopped here"
print("after");
#> before
---
// 2.3.7 import is allowed at top level only
function f() {
  import math;   ### "MLSyntaxError"
  return 1;
}
---
// 2.3.7 capability declarations are allowed at top level only
if (true) {
  capability Files {   ### "MLSyntaxError"
    allow read;
  }
}
---
// 2.3.7 function definitions may appear in if blocks, loops and other functions
if (true) {
  function inIf() { return "if"; }
}
for (i in [1]) {
  function inLoop() { return "loop"; }
}
function outer() {
  function inner() { return "inner"; }
  return inner();
}
print(inIf(), inLoop(), outer());
#> if loop inner
---
// 2.3.8 numeric object keys are not allowed
o = {1: "x"};   ### "MLSyntaxError"
---
// 2.3.9 (Ours, superset) '[a, b];' without '=' is accepted as an array-literal statement
a = 1; b = 2;
[a, b];
print(a, b);
#> 1 2
---
// 2.3.9 '{' + names at statement start is a destructuring pattern and needs '='
a = 1;
{a};   ### "MLSyntaxError"
---
// 2.3.9 literals at statement start are legal expression statements; patterns with '=' work
[1, 2];
{a: 1};
[a, b] = [1, 2];
{c, d} = {c: 3, d: 4};
[e] = [5];
print(a, b, c, d, e);
#> 1 2 3 4 5
---
// 2.3.10 an arrow body that reads as an object literal is one; D7 block bodies work
f = fn(x) => {a: x};
g = fn() => {};
h = fn(x) => {
  y = x * 2;
  return y + 1;
};
s = fn(x) => { print("side", x); };
print(f(1), g(), h(3));
print(s(1));
#> {'a': 1} {} 7
#> side 1
#> null
---
// 2.3.10 / D7 a block-bodied arrow as an argument closes over its scope
function apply(f, v) { return f(v); }
k = 10;
print(apply(fn(x) => { if (x > 0) { return x + k; } return 0; }, 5));
#> 15
---
// 2.3.11 every part of a slice may be omitted; bounds may be expressions
a = [0, 1, 2, 3, 4, 5];
print(a[:], a[::], a[1:], a[:-1]);
print(a[::2], a[1:5:2], a[1:2:], a[::-1]);
s = "hello";
n = len(s);
print(s[1:3], s[n - 2:], s[:n // 2], s[::-1]);
#> [0, 1, 2, 3, 4, 5] [0, 1, 2, 3, 4, 5] [1, 2, 3, 4, 5] [0, 1, 2, 3, 4]
#> [0, 2, 4] [1, 3] [1] [5, 4, 3, 2, 1, 0]
#> el lo he olleh
---
// 2.3.12 parameter annotations are accepted and not evaluated
function f(a: number, b: string) { return a + b; }
g = fn(x: number) => x * 2;
function h(v: int, w: whatever) { return [v, w]; }
print(f(1, 2), g(4), h("s", true));
#> 3 8 ['s', true]
---
// 2.3.12 an annotation is a single identifier
function f(a: number[]) {   ### "MLSyntaxError"
  return a;
}
---
// 2.4 a syntax error aborts before anything runs, reported on its line
print("never printed");
x = 1;
y = (2 + ;   ### "MLSyntaxError"
print("nor this");
---
// 2.4 an unclosed block is a syntax error (reported at the end of the last statement)
print("never printed");
function f() {
  return 1;   ### "MLSyntaxError"
---
// 2.1 / 8.5 capability declarations parse and are checked requests; import with an alias
#! grant file.read:data/in.txt file.write:data/*.txt
capability FileAccess {
  resource "data/*.txt";
  allow read "data/in.txt";
  allow write;
}
import math as m;
print(m.floor(2.7), m.sqrt(16));
#> 2 4.0
---
// 2.1 a capability item must be resource or allow
capability Bad {
  deny read;   ### "MLSyntaxError"
}
