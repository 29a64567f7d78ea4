// Language spec section 7 (modules and imports; stdlib math, json, console only) and
// section 11 (security restrictions), with DESIGN D8 (one gate, object keys are data).

// ---- 7.1 syntax ----
import math;
import json as j;
print(math.floor(2.5), j.stringify([1]));
#> 2 [1]
---
// an alias binds only the alias
import json as j;
print("never printed");
x = json.stringify([1]);   ### "MLCompileError: .*json"
---
// importing twice (with or without alias) is harmless; all bindings are the same module
import math;
import math;
import math as m;
print(m.pi == math.pi, m.sqrt(9), math.sqrt(9));
#> true 3.0 3.0
---
// imports are effective for code textually after them
x = math.pi;   ### "math"
import math;
---
// import is a top-level statement only
print("never printed");
function f() {
    import math;   ### "MLSyntaxError"
}
---
print("never printed");
if (true) {
    import json;   ### "MLSyntaxError"
}
---
// ---- 7.2 resolution: an unknown module is a compile-time failure ----
print("never printed");
import nosuchmodule_xyz; y = nosuchmodule_xyz.f(1);   ### "nosuchmodule_xyz"
---
// dangerous imports are security findings (7.2, 11.1 rule 5)
import sys;   ### "MLSecurityError"
---
import subprocess as sp;   ### "MLSecurityError"
---
import os.path;   ### "MLSecurityError"
---
print("never printed");
import pickle;   ### "MLSecurityError"
---
import builtins;   ### "MLSecurityError"
---
import importlib;   ### "MLSecurityError"
---
import ctypes;   ### "MLSecurityError"
---
// ---- 7.3 standard-library modules ----
import math;
s = math.sqrt;
print(typeof(s), s(25), math.pi, math.e);
#> function 5.0 3.141592653589793 2.718281828459045
---
// a member the module does not export is a compile error (modules spec A9), with a
// suggestion
import math;
print("never");
x = math.sqroot(2);   ### "MLImportError: module 'math' has no member 'sqroot'"
---
// A9: a member a module does not export is a compile error (nothing runs)
import json;
print("never");
json.nothere("x");   ### "MLImportError: module 'json' has no member 'nothere'"
---
// module members cannot be replaced from ML
import math;
math.pi = 3;   ### "(?i)assign|TypeError"
---
// modules are not callable and are truthy
import math;
print(callable(math), bool(math));
#> false true
---
// ---- 7.5 the builtin pseudo-module ----
print(builtin.len("abcd"), builtin.abs(-2), builtin.sorted([3, 1]));
#> 4 2 [1, 3]
---
f = builtin.max;
print(f(4, 9), typeof(builtin.print));
#> 9 function
---
// ---- 11.1 static analysis: dunder names ----
print("never printed");
__secret = 1; y = __secret;   ### "MLSecurityError"
---
print("never printed");
x = __import__("os");   ### "MLSecurityError"
---
print("never printed");
function __init() { return 1; }   ### "MLSecurityError"
---
print("never printed");
s = "abc";
t = s.__class__;   ### "MLSecurityError"
---
print("never printed");
o = {a: 1};
d = o.__dict__;   ### "MLSecurityError"
---
print("never printed");
function f() { return 1; }
g = f.__globals__;   ### "MLSecurityError"
---
print("never printed");
x = [];
y = x.__class__.__bases__;   ### "MLSecurityError"
---
print("never printed");
subs = "".__class__.__mro__;   ### "MLSecurityError"
---
// ---- 11.1 dangerous host names as values and calls ----
print("never printed");
r = eval("1 + 1");   ### "MLSecurityError"
---
print("never printed");
exec("x = 1");   ### "MLSecurityError"
---
print("never printed");
g = globals();   ### "MLSecurityError"
---
print("never printed");
l = locals();   ### "MLSecurityError"
---
print("never printed");
v = vars();   ### "MLSecurityError"
---
print("never printed");
d = dir([]);   ### "MLSecurityError"
---
print("never printed");
c = compile("1", "f", "eval");   ### "MLSecurityError"
---
print("never printed");
f = eval;   ### "MLSecurityError|MLCompileError"
---
print("never printed");
print(dir);   ### "MLSecurityError|MLCompileError"
---
// open is not an ML name: the program is refused before it runs
print("never printed");
fh = open("data.txt");   ### "MLSecurityError|MLCompileError"
---
print("never printed");
b = __builtins__;   ### "MLSecurityError"
---
// findings are fatal even in code that would never run
print("never printed");
function unused() {
    return eval("2");   ### "MLSecurityError"
}
---
// ---- string contents are data: never scanned (DESIGN: ours does not reject them) ----
print("eval(x)", "open(f)", "__import__('os')", "os.system(1)", "subprocess.run");
#> eval(x) open(f) __import__('os') os.system(1) subprocess.run
---
s = "exec (code)";
print(s, len(s));
#> exec (code) 11
---
// keywords and dangerous words are fine as object keys and member names
o = {eval: 1, open: 2, exec: 3};
print(o.eval, o.open, o["exec"]);
#> 1 2 3
---
// ---- D8: keys of ML objects are data, even with underscores ----
import json;
o = json.parse('{"_id": 7, "__typename": "User"}');
print(o._id, o["__typename"], keys(o));
#> 7 User ['_id', '__typename']
---
o = {_private: "ok"};
o._private = "changed";
print(o._private);
#> changed
---
// the underscore ban covers the members of every other value
s = "abc";
try {
    x = s._hidden;
    print("reached");
} except (e) {
    print("blocked");
}
a = [1];
try {
    a._x();
    print("reached");
} except (e) {
    print("blocked");
}
#> blocked
#> blocked
---
import math;
x = math._impl;   ### "_impl"
---
// ---- 11.1 rule 7: capability declarations ----
print("never printed");
capability Everything { resource "*"; }   ### "MLSecurityError"
---
print("never printed");
capability Deep { resource "**"; }   ### "MLSecurityError"
---
print("never printed");
capability Sys { allow system; }   ### "MLSecurityError"
---
print("never printed");
capability Exec { allow execute "*"; }   ### "MLSecurityError"
---
print("never printed");
capability Run { allow execute; }   ### "MLSecurityError"
---
// accepted declarations are checked requests: they grant nothing and bind no name (8.5)
#! grant file.read:data/* file.write process.execute:calc
capability DataAccess {
    resource "data/*.csv";
    resource 'logs/*';
    allow read "data/*";
    allow write;
}
capability Calc { allow execute "calc"; }
capability ConsoleWrite { allow write; }
import console;
print(hasCapability("DataAccess"), hasCapability("Calc"), getCapabilities());
try {
    console.log("x");
} except (e) {
    print(e.type);
}
#> false false ['file.read', 'file.write', 'process.execute']
#> CapabilityError
---
// a declared need the host did not grant stops the program before it starts
capability Reports { resource "reports/*.csv"; allow read; }   ### "CapabilityError: capability Reports asks for 'file.read:.*reports/\*.csv'"
print("never printed");
---
capability DataAccess { allow read; }
print("never printed");
x = DataAccess;   ### "MLCompileError: .*DataAccess"
---
// ---- 11.2 host builtins cannot even be referenced ----
print("never printed");
t = type;   ### "MLCompileError|MLSecurityError"
---
print("never printed");
x = setattr;   ### "MLCompileError|MLSecurityError"
---
// ---- 11.3 runtime call whitelist: non-callables ----
x = 5;
try {
    x(1);
} except (e) {
    print(e.type);
}
#> TypeError
---
o = {name: "n", f: 3};
try {
    o.f(1);
} except (e) {
    print(e.type);
}
#> TypeError
---
// ---- 11.4 runtime attribute whitelist ----
s = "abc";
tries = [];
try { s.encode("utf-8"); } except (e) { tries.append(e.type); }
try { s.zfill(5); } except (e) { tries.append(e.type); }
try { s.format(1); } except (e) { tries.append(e.type); }
try { s.toUpperCase(); } except (e) { tries.append(e.type); }
print(tries);
#> ['AttributeError', 'AttributeError', 'AttributeError', 'AttributeError']
---
// whitelisted methods do work
s = " a-b ";
a = [3, 1];
a.append(2);
a.sort();
print(s.strip().split("-"), s.upper(), ",".join(["x", "y"]), a, a.index(2), a.count(7));
#> ['a', 'b']  A-B  x,y [1, 2, 3] 1 0
---
n = 5;
try { x = n.real; } except (e) { print(e.type); }
function f() { return 1; }
try { x = f.name; } except (e) { print(e.type); }
#> AttributeError
#> AttributeError
---
a = [1, 2];
print("before");
a.map(fn(x) => x);   ### "MLRuntimeError: .*map"
#> before
