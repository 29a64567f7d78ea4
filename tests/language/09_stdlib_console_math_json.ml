// Language spec sections 10.1 (console), 10.2 (math), 10.3 (json) and 8.4 (capability
// failures). DESIGN D3 (display), D8 (pure modules need no grant; one gate for effects).

// ---- 10.1 console ----
#! grant console.write
import console;
console.log("a", 1, 2.5, true, null);
console.log([1, "a", true, null], {k: false});
#> a 1 2.5 true null
#> [1, 'a', true, null] {'k': false}
---
#! grant console.write
import console;
console.log();
console.log("after");
#>
#> after
---
#! grant console.write
import console;
console.info("ready", 3);
console.debug("detail");
#> INFO: ready 3
#> DEBUG: detail
---
#! grant console.write
import console;
r = console.log("x");
print(r, console.info("y"));
#> x
#> INFO: y
#> null null
---
// console.error and console.warn write to stderr, not stdout
#! grant console.error
import console;
print("out");
console.error("to stderr");
console.warn("also stderr");
print("end");
#> out
#> end
---
#! grant console.write
import console as c;
c.log("alias works");
#> alias works
---
// console is not a builtin: it needs an import
print("never printed");
console.log("x");   ### "MLCompileError: .*console"
---
// ---- 8.4 capability failures are raised before the function runs ----
import console;
print("before");
console.log("never");   ### "CapabilityError: .*console\.write"
#> before
---
// console.write does not imply console.error (exact names, no hierarchy)
#! grant console.write
import console;
console.log("ok");
console.warn("no");   ### "CapabilityError: .*console\.error"
#> ok
---
#! grant console.error
import console;
try {
    console.info("no");
} except (e) {
    print(e.type, str(e).find("console.write") >= 0);
}
#> CapabilityError true
---
// D8: one gate, however the function is reached
import console;
m = console;
f = console.log;
holder = {out: console.log};
function apply(g, v) { return g(v); }
results = [];
try { m.log("1"); } except (e) { results.append(e.type); }
try { f("2"); } except (e) { results.append(e.type); }
try { holder.out("3"); } except (e) { results.append(e.type); }
try { apply(console.log, "4"); } except (e) { results.append(e.type); }
try { call(f, "5"); } except (e) { results.append(e.type); }
print(results);
#> ['CapabilityError', 'CapabilityError', 'CapabilityError', 'CapabilityError', 'CapabilityError']
---
#! grant console.write
import console;
m = console;
f = console.log;
holder = {out: console.log};
m.log("via variable");
f("via value");
holder.out("via object");
#> via variable
#> via value
#> via object
---
// ---- 10.2 math: pure, needs no grant ----
import math;
print(math.pi, math.e, getCapabilities());
#> 3.141592653589793 2.718281828459045 []
---
import math;
print(math.sqrt(16), math.sqrt(2), math.sqrt(0), math.sqrt(-4));
#> 4.0 1.4142135623730951 0.0 0
---
import math;
print(math.abs(-3), math.abs(-2.5), math.abs(4));
#> 3 2.5 4
---
import math;
print(math.sin(0), math.cos(0), math.tan(0), math.atan(0), math.acos(1), math.asin(1));
print(math.atan2(1, 1), math.atan2(0, -1));
#> 0.0 1.0 0.0 0.0 0.0 1.5707963267948966
#> 0.7853981633974483 3.141592653589793
---
import math;
try { math.asin(2); } except (e) { print(e.type, "|", e.message); }
try { math.acos(-1.5); } except (e) { print(e.type); }
#> ValueError | math domain error
#> ValueError
---
import math;
print(math.ln(math.e), math.ln(1), math.ln(0), math.ln(-1));
#> 1.0 0.0 -999 -999
---
import math;
print(math.log(100), math.log(10), math.log(8, 2), math.log(0), math.log(8, 1), math.log(8, -2), math.log(-5, 2));
#> 2.0 1.0 3.0 -999 -999 -999 -999
---
import math;
print(math.exp(0), math.exp(1), math.exp(1000));
#> 1.0 2.718281828459045 inf
---
import math;
print(math.pow(2, 10), math.pow(2, -1), math.pow(2.0, 3), math.pow(9, 0.5), math.pow(7, 0));
#> 1024 0.5 8.0 3.0 1
---
// overflow or division by zero: inf if x > 0, else 0
import math;
print(math.pow(10.0, 400), math.pow(-10.0, 401), math.pow(0, -1));
#> inf 0 0
---
import math;
print(math.floor(2.7), math.floor(-2.5), math.floor(3.0), math.ceil(2.1), math.ceil(-2.1), math.ceil(5));
#> 2 -3 3 3 -2 5
---
// math.round returns an int, half to even (unlike the round builtin's float)
import math;
print(math.round(2.5), math.round(3.5), math.round(2.7), math.round(-0.5), math.round(-1.5), round(2.5));
#> 2 4 3 0 -2 2.0
---
import math;
print(math.min(3, 5), math.max(3, 5), math.min(-1.5, 2), math.max(2.5, 2));
#> 3 5 -1.5 2.5
---
import math;
try { math.min(1, 2, 3); } except (e) { print(e.type); }
try { math.max(1); } except (e) { print(e.type); }
#> TypeError
#> TypeError
---
import math;
r = math.random();
ok = true;
for (i in range(200)) {
    v = math.random();
    if (v < 0 || v >= 1) { ok = false; }
}
print(typeof(r), r >= 0 && r < 1, ok);
#> number true true
---
import math;
print(math.degToRad(180), math.radians(90), math.radToDeg(math.pi), math.degrees(math.pi / 2));
#> 3.141592653589793 1.5707963267948966 180.0 90.0
---
import math;
print(math.sign(-5), math.sign(0), math.sign(2.5), math.sign(-0.1));
#> -1 0 1 -1
---
import math;
print(math.factorial(5), math.factorial(0), math.factorial(20), math.factorial(-3));
#> 120 1 2432902008176640000 0
---
import math;
try { math.factorial(5.0); } except (e) { print(e.type); }
#> TypeError
---
import math;
print(math.gcd(12, 18), math.gcd(7, 5), math.lcm(4, 6), math.lcm(3, 5));
#> 6 1 12 15
---
// D8: a pure module used through a variable or a callback needs no grant either
import math;
m = math;
f = math.sqrt;
function apply(g, v) { return g(v); }
print(m.sqrt(49), f(81), apply(math.floor, 3.9), call(math.ceil, 1.1));
#> 7.0 9.0 3 2
---
// ---- 10.3 json: pure, needs no grant ----
import json;
o = json.parse('{"a": 1, "b": [true, null, 2.5], "c": "x"}');
print(o);
print(o.a, o.b[0], o.c, o.missing, typeof(o));
#> {'a': 1, 'b': [true, null, 2.5], 'c': 'x'}
#> 1 true x null object
---
import json;
print(json.parse("[1, 2]"), json.parse("3.5"), json.parse("null"), json.parse('"s"'), json.parse("true"), json.parse("-7"));
#> [1, 2] 3.5 null s true -7
---
// D1: escapes are processed, so double-quoted JSON text works too
import json;
o = json.parse("{\"k\": 1, \"s\": \"a\\nb\"}");
print(o.k, len(o.s));
#> 1 3
---
import json;
try {
    json.parse("{bad");
} except (e) {
    print(e.type, e.message.startswith("JSON parsing failed"));
}
try {
    json.parse(5);
} except (e) {
    print(e.type, e.message.startswith("JSON parsing failed"));
}
#> ValueError true
#> ValueError true
---
import json;
print("before");
x = json.parse("[1, 2");   ### "MLRuntimeError: .*JSON parsing failed"
#> before
---
import json;
print(json.safeParse('{"a": [1]}'), json.safeParse("[1]", 2));
try {
    json.safeParse("[[[[1]]]]", 2);
} except (e) {
    print(e.type, "|", e.message);
}
#> {'a': [1]} [1]
#> ValueError | JSON object depth exceeds maximum allowed (2)
---
// maxDepth is capped at 100
import json;
deep = "[" * 150 + "]" * 150;
try {
    json.safeParse(deep, 1000);
} except (e) {
    print(e.message);
}
print(len(json.parse("[" * 50 + "]" * 50)));
#> JSON object depth exceeds maximum allowed (100)
#> 1
---
import json;
print(json.stringify({a: 1, b: [true, null]}));
print(json.stringify("hi"), json.stringify(1.5), json.stringify(null), json.stringify([]), json.stringify({}));
#> {"a": 1, "b": [true, null]}
#> "hi" 1.5 null [] {}
---
// non-ASCII escaped, arrays from zip/enumerate, non-string keys stringified, NaN/Infinity bare
import json;
o = {};
o[1] = "x";
print(json.stringify("é"), json.stringify(enumerate(["a"])), json.stringify(o));
print(json.stringify([float("inf"), float("nan")]));
#> "\u00e9" [[0, "a"]] {"1": "x"}
#> [Infinity, NaN]
---
import json;
function f() { return 1; }
try {
    json.stringify({f: f});
} except (e) {
    print(e.type, e.message.startswith("JSON serialization failed"));
}
#> ValueError true
---
import json;
print(json.prettyPrint({a: [1, 2], b: {c: null}}));
#> {
#>     "a": [
#>         1,
#>         2
#>     ],
#>     "b": {
#>         "c": null
#>     }
#> }
---
import json;
print(json.prettyPrint([1, {x: true}], 2));
#> [
#>   1,
#>   {
#>     "x": true
#>   }
#> ]
---
import json;
print(json.validate('{"a": 1}'), json.validate("[1, 2]"), json.validate("{bad"), json.validate(5), json.validate(""));
#> true true false false false
---
import json;
print(json.isObject({}), json.isObject([]), json.isArray([]), json.isArray("[]"));
print(json.isString("s"), json.isString(1), json.isNumber(1), json.isNumber(1.5), json.isNumber(true), json.isNumber("1"));
print(json.isBoolean(false), json.isBoolean(0), json.isNull(null), json.isNull(0), json.isNull(""));
#> true false true false
#> true false true true false false
#> true false true false false
---
import json;
o = {b: 1, a: [2]};
print(json.keys(o), json.values(o), json.keys(5), json.values([1]));
#> ['b', 'a'] [1, [2]] [] []
---
import json;
o = {a: 1, n: null};
print(json.hasKey(o, "a"), json.hasKey(o, "n"), json.hasKey(o, "b"), json.hasKey([1], "a"), json.hasKey("a", "a"));
#> true true false false false
---
import json;
o = {a: 1, n: null};
print(json.get(o, "a"), json.get(o, "z"), json.get(o, "z", 0), json.get(o, "n", 5), json.get(5, "a", "d"));
#> 1 null 0 null d
---
import json;
a = {a: 1, b: 2};
b = {b: 3, c: 4};
m = json.merge(a, b);
print(m, a, b);
print(json.merge(5, {x: 1}), json.merge({y: 2}, null));
#> {'a': 1, 'b': 3, 'c': 4} {'a': 1, 'b': 2} {'b': 3, 'c': 4}
#> {'x': 1} {'y': 2}
---
// round trip
import json;
v = {name: "ann", tags: ["x", "y"], score: 9.5, ok: true, none: null, nested: {n: [1, [2]]}};
back = json.parse(json.stringify(v));
print(back == v, back.nested.n[1][0]);
#> true 2
---
// parsed objects are ML objects: member access, missing member is null, methods are keys
import json;
o = json.parse('{"count": 2, "items": ["a", "b"]}');
o.count = o.count + 1;
o.items.append("c");
print(o.count, o.items, o.length, len(o));
#> 3 ['a', 'b', 'c'] null 2
