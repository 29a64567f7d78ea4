// Language spec section 9 (builtin functions), part 2: iterators, reflection, calls, help,
// module and capability introspection. DESIGN D8: object keys are data, one gate.

// ---- iter / next ----
it = iter([1, 2]);
print(next(it), next(it), next(it, "done"), next(it, null));
#> 1 2 done null
---
it = iter("ab");
out = [];
for (c in it) {
    out.append(c);
}
print(out, next(it, "empty"));
#> ['a', 'b'] empty
---
// an iterator is consumed once: a second loop sees nothing
it = iter([1, 2, 3]);
first = next(it);
rest = [];
for (v in it) { rest.append(v); }
again = [];
for (v in it) { again.append(v); }
print(first, rest, again);
#> 1 [2, 3] []
---
it = iter([]);
print("before");
x = next(it);   ### "MLRuntimeError: .*Iterator exhausted - use default parameter to avoid error"
#> before
---
try { next(5); } except (e) { print(e.type); }
try { next([1, 2]); } except (e) { print(e.type); }
#> TypeError
#> TypeError
---
// ---- hasattr ----
print(hasattr("abc", "upper"), hasattr("abc", "nope"), hasattr([1], "append"), hasattr([1], "push"));
#> true false true false
---
// names starting with "_" are never attributes
print(hasattr("abc", "__class__"), hasattr([1], "_x"), hasattr(len, "__call__"), hasattr({}, "__len__"));
#> false false false false
---
// D8: keys of ML objects are data
o = {a: 1, _id: 2};
print(hasattr(o, "a"), hasattr(o, "b"), hasattr(o, "_id"));
#> true false true
---
n = 5;
print(hasattr(n, "real"), hasattr(null, "x"), hasattr(true, "upper"));
#> false false false
---
// ---- getattr ----
up = getattr("abc", "upper");
print(callable(up), up());
#> true ABC
---
print(getattr("abc", "nope", "d"), getattr("abc", "nope"), getattr([1], "_secret", 0));
#> d null 0
---
// never reaches host internals, never raises for unknown names
print(getattr("abc", "__class__", "no"), getattr(len, "__globals__", "no"), getattr(5, "real", "no"));
#> no no no
---
// D8: object keys are data
o = {a: 1};
print(getattr(o, "a", "d"), getattr(o, "zz", "d"));
#> 1 d
---
import math;
sq = getattr(math, "sqrt");
print(sq(16), getattr(math, "nothere", "missing"), getattr(math, "_private", "hidden"));
#> 4.0 missing hidden
---
// ---- call ----
function add(a, b) { return a + b; }
print(call(len, [1, 2, 3]), call(fn(a, b) => a * b, 2, 3), call(add, 2, 5), call(str, true));
#> 3 6 7 true
---
import math;
print(call(math.sqrt, 16), call(math.max, 3, 9));
#> 4.0 9
---
try { call(5); } except (e) { print(e.type); }
try { call("len", [1]); } except (e) { print(e.type); }
#> TypeError
#> TypeError
---
// call enforces the capabilities of stdlib functions
import console;
try {
    call(console.log, "never");
} except (e) {
    print(e.type);
}
#> CapabilityError
---
#! grant console.write
import console;
r = call(console.log, "through call", 1);
print(r);
#> through call 1
#> null
---
// ---- help ----
print(help(print));
#> Print value to console
#> Capabilities: None required
---
lines = help(len).split("\n");
print(len(lines), lines[1]);
#> 2 Capabilities: None required
---
import math;
print(help(math.sqrt).split("\n")[0], "|", help(math.floor).split("\n")[0], "|", help(math.pow).split("\n")[0]);
#> Square root | Floor function | Power (x^y)
---
import console;
h = help(console.log);
print(h.endswith("\nRequires: console.write"), typeof(h));
#> true string
---
import math;
import json;
import console;
print(help(math).split("\n")[0]);
print(help(json).split("\n")[0]);
print(help(console));
#> Mathematical operations and constants
#> JSON parsing, serialization, and validation utilities
#> Console output and logging functionality
#> Requires: console.write, console.error
---
function mine(x) { return x; }
print(help(mine).startswith("No help available for"), help(fn(x) => x).startswith("No help available for"));
#> true true
---
// ---- methods ----
ms = methods("abc");
print(typeof(ms), ms.count("upper"), ms.count("split"), ms == sorted(ms));
bad = 0;
for (m in ms) {
    if (m.startswith("_")) { bad = bad + 1; }
}
print(bad);
#> array 1 1 true
#> 0
---
ms = methods([1]);
print(ms.count("append"), ms.count("__len__"), ms == sorted(ms));
#> 1 0 true
---
// ---- modules / available_modules / has_module / module_info (modules-and-repl.md A12) ----
import json;
m = modules();
print(m.count("builtin"), m.count("json"), m == sorted(m), typeof(m));
#> 1 1 true array
---
am = available_modules();
print(am.count("math"), am.count("json"), am.count("console"), am == sorted(am));
print(available_modules("stdlib").count("math"), available_modules("ml").count("math"));
try { available_modules("no such kind"); } except (e) { print(e.type); }
#> 1 1 1 true
#> 1 0
#> ValueError
---
print(has_module("math"), has_module("json"), has_module("console"), has_module("nosuchmodule"), has_module("os"));
#> true true true false false
---
info = module_info("math");
print(info.name, info.kind, info.functions.count("sqrt"), info.constants.count("pi"), typeof(info.description));
print(module_info("nosuchmodule"), info.file_path);
#> math stdlib 1 1 string
#> null null
---
// ---- hasCapability / getCapabilities / getCapabilityInfo (exact names, from the host) ----
#! grant console.write
print(hasCapability("console.write"), hasCapability("console.error"), hasCapability("console"), hasCapability("file.read"));
#> true false false false
---
print(hasCapability("console.write"), getCapabilities(), getCapabilityInfo("console.write"));
#> false [] null
---
#! grant json.parse console.write
caps = getCapabilities();
print(caps);
#> ['console.write', 'json.parse']
---
#! grant console.write
info = getCapabilityInfo("console.write");
print(info.type, info.available, info.patterns, info.operations, info.expires_at);
print(getCapabilityInfo("file.read"));
#> console.write true null null null
#> null
---
// ---- requiredCapabilities ----
import console;
function mine() { }
print(requiredCapabilities(len), requiredCapabilities(mine), requiredCapabilities(fn() => 1), requiredCapabilities(5));
print(requiredCapabilities(console.log), requiredCapabilities(console.warn));
#> [] [] [] []
#> ['console.write'] ['console.error']
---
// 7.5 the builtin pseudo-module is a value too
b = builtin;
print(b.len([1, 2, 3]), typeof(b));
#> 3 module
---
// a module is read-only, also through a variable
import math;
m = math;
try { m.pi = 3; } except (e) { print(e.message); }
print(math.pi > 3.14);
#> module 'math' is read-only
#> true
