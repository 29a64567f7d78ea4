// Language spec section 6 (errors and exceptions) with DESIGN D5 (readable error objects,
// `throw` of any expression, limits are never catchable). Format: see conftest.py.

// ---- 6.1 error classes seen by ML programs: each row of the table, caught ----
try {
    throw {message: "boom"};
} except (e) {
    print(str(e));
    print(e.type);
}
#> boom
#> Error
---
try {
    throw {code: 1};
} except (e) {
    print(str(e));
    print(e.code);
}
#> User-defined exception
#> 1
---
a = [1, 2, 3];
try {
    x = a[3];
} except (e) {
    print(e.type, "|", str(e));
}
#> IndexError | array index out of range
---
s = "abc";
try {
    c = s[10];
} except (e) {
    print(e.type, "|", e.message);
}
#> IndexError | string index out of range
---
a = [1, 2];
try {
    a[2] = 5;
} except (e) {
    print(e.type, "|", str(e));
}
print(a);
#> IndexError | array assignment index out of range
#> [1, 2]
---
o = {a: 1};
try {
    v = o["k"];
} except (e) {
    print(e.type, "|", str(e));
}
#> KeyError | key 'k' not found
---
// one division-by-zero message, whatever the operands
n = 0;
try { x = 1 / n; } except (e) { print(e.type, "|", str(e)); }
try { x = 1.5 / n; } except (e) { print(e.type, "|", str(e)); }
try { x = 7 // n; } except (e) { print(e.type, "|", str(e)); }
try { x = 7 % n; } except (e) { print(e.type); }
#> ZeroDivisionError | division by zero
#> ZeroDivisionError | division by zero
#> ZeroDivisionError | division by zero
#> ZeroDivisionError
---
s = "a";
try {
    x = s - 1;
} except (e) {
    print(e.type, "|", str(e));
}
#> TypeError | unsupported operand types for -: string and number
---
// str + int through variables is a catchable type error (DESIGN 3: not a concatenation)
s = "n";
k = 1;
try {
    x = s + k;
    print("no error");
} except (e) {
    print(e.type);
}
#> TypeError
---
function f(n) { return n; }
try {
    f();
} except (e) {
    print(e.type, str(e).find("missing 1 required positional argument: 'n'") >= 0);
}
try {
    f(1, 2);
} except (e) {
    print(e.type, str(e).find("takes 1 positional argument but 2 were given") >= 0);
}
#> TypeError true
#> TypeError true
---
try {
    n = int("abc");
} except (e) {
    print(e.type, "|", str(e));
}
#> ValueError | invalid literal for int() with base 10: 'abc'
---
// calling a name bound nowhere compiles and fails when the call runs (catchable)
print("runs");
try {
    undefinedFn(1);
} except (e) {
    print(e.type);
}
#> runs
#> NameError
---
// no hoisting (3.0): calling a function before its definition has run is a catchable error
try {
    early();
    print("not reached");
} except (e) {
    print("caught", typeof(e));
}
function early() { return "defined now"; }
print(early());
#> caught error
#> defined now
---
count = 0;
function bump() { count = count + 1; }
try {
    bump();
} except (e) {
    print(e.type, "|", str(e));
}
print(count);
#> UnboundLocalError | 'count' is used before it is assigned
#> 0
---
arr = [1];
try {
    arr.push(2);
} except (e) {
    print(e.type, str(e).find("push") >= 0);
}
print(arr);
#> AttributeError true
#> [1]
---
o = {a: 1};
try {
    ks = o.keys();
} except (e) {
    print(e.type, str(e).find("keys") >= 0);
}
#> AttributeError true
---
import console;
try {
    console.log("never printed");
} except (e) {
    print(e.type, str(e).find("console.write") >= 0);
}
print("after");
#> CapabilityError true
#> after
---
it = iter([]);
try {
    x = next(it);
} except (e) {
    print(e.type, "|", str(e));
}
#> RuntimeError | Iterator exhausted - use default parameter to avoid error
---
// ---- 6.2 throw ----
function check(n) {
    if (n < 0) {
        throw {message: "negative", value: n, field: "n"};
    }
    return n;
}
try {
    check(3);
    check(-2);
    print("not reached");
} except (e) {
    print(e.message, e.value, e.field);
}
#> negative -2 n
---
// values in a thrown object are arbitrary expressions, evaluated at the throw
base = 5;
try {
    throw {message: "n=" + base, code: base * 2, list: [base, base + 1]};
} except (e) {
    print(e.message, e.code, e.list);
}
#> n=5 10 [5, 6]
---
// a non-string message is converted with str() when printed
try {
    throw {message: 42};
} except (e) {
    print(str(e), typeof(str(e)));
}
#> 42 string
---
// a non-string severity does not break the throw (spec 13.22, safe superset)
try {
    throw {message: "sev", severity: 5};
} except (e) {
    print(str(e), e.severity);
}
#> sev 5
---
// D5: throw takes any expression
try {
    throw "plain text";
} except (e) {
    print(str(e), "|", e.message, "|", e.type);
}
#> plain text | plain text | Error
---
err = {message: "from a variable", code: 7};
try {
    throw err;
} except (e) {
    print(e.message, e.code);
}
#> from a variable 7
---
function make(msg) { return {message: msg, kind: "custom"}; }
try {
    throw make("built");
} except (e) {
    print(e.message, e.kind);
}
#> built custom
---
print("before");
throw {message: "boom"};   ### "MLRuntimeError: boom"
print("after");
#> before
---
throw "bare string";   ### "MLRuntimeError: bare string"
---
// the error is reported where the throw happened, not where the function was called
function fail() {
    throw {message: "deep"};   ### "MLRuntimeError: deep"
}
function middle() { fail(); }
middle();
---
// ---- 6.3 try / except / finally ----
// except catches every kind of error, including CapabilityError
import console;
caught = [];
try { x = "a" - 1; } except (e) { caught.append(e.type); }
try { console.log("x"); } except (e) { caught.append(e.type); }
try { x = {}["k"]; } except (e) { caught.append(e.type); }
try { x = [][0]; } except (e) { caught.append(e.type); }
try { x = int("z"); } except (e) { caught.append(e.type); }
print(caught);
#> ['TypeError', 'CapabilityError', 'KeyError', 'IndexError', 'ValueError']
---
// except without a variable
try {
    x = 1 / 0;
} except {
    print("caught anonymously");
}
#> caught anonymously
---
// only the first except clause ever runs (no filtering by type)
try {
    x = [][1];
} except (first) {
    print("first", first.type);
} except (second) {
    print("second");
}
#> first IndexError
---
// no error: except is skipped, finally runs
try {
    print("body");
} except (e) {
    print("except");
} finally {
    print("finally");
}
print("end");
#> body
#> finally
#> end
---
// error: body stops at the failing statement, then except, then finally
try {
    print("one");
    x = 1 / 0;
    print("two");
} except (e) {
    print("except", e.type);
} finally {
    print("finally");
}
#> one
#> except ZeroDivisionError
#> finally
---
// finally runs when leaving via return, and the return value survives
function f() {
    try {
        return "from try";
    } finally {
        print("cleanup");
    }
}
print(f());
#> cleanup
#> from try
---
// a return in finally replaces the in-flight return value
function f() {
    try {
        return "try";
    } finally {
        return "finally";
    }
}
print(f());
#> finally
---
// a return in finally swallows an ordinary error (Python rules)
function f() {
    try {
        x = 1 / 0;
    } finally {
        return "overridden";
    }
}
print(f());
#> overridden
---
// finally runs on break and continue
for (i in range(4)) {
    try {
        if (i == 1) {
            continue;
        }
        if (i == 2) {
            break;
        }
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
// finally runs before an uncaught error ends the program
print("start");
try {
    x = [1][3];   ### "MLRuntimeError"
} finally {
    print("cleanup");
}
print("not reached");
#> start
#> cleanup
---
// a try with neither except nor finally is legal and lets errors through
try {
    print("inside");
}
try {
    x = {a: 1}["b"];   ### "MLRuntimeError"
}
#> inside
---
// an error raised inside except propagates outward
try {
    try {
        x = 1 / 0;
    } except (e) {
        print("inner", e.type);
        y = [][5];
    }
} except (outer) {
    print("outer", outer.type);
}
#> inner ZeroDivisionError
#> outer IndexError
---
// an error raised inside finally propagates outward (and replaces the original)
try {
    try {
        x = 1 / 0;
    } finally {
        z = {}["gone"];
    }
} except (e) {
    print(e.type, str(e));
}
#> KeyError key 'gone' not found
---
// nested try: inner finally runs before the outer except
try {
    try {
        throw {message: "inner"};
    } finally {
        print("inner finally");
    }
} except (e) {
    print("outer caught " + e);
}
#> inner finally
#> outer caught inner
---
// a caught error does not reach the outer handler
try {
    try {
        x = [][0];
    } except (e) {
        print("handled inside");
    }
    print("continues");
} except (e) {
    print("outer should not run");
}
#> handled inside
#> continues
---
// errors cross function boundaries to the nearest handler
function level3() { return {}["x"]; }
function level2() { return level3(); }
function level1() {
    try {
        return level2();
    } except (e) {
        return "recovered from " + e.type;
    }
}
print(level1());
#> recovered from KeyError
---
// the except name stays bound after its block (maintainer decision: superset of spec 6.3)
try {
    x = 1 / 0;
} except (err) {
    saved = err;
}
print(saved.type, err.type, saved == err);
#> ZeroDivisionError ZeroDivisionError true
---
// the idiom of detecting the end of an array with IndexError
items = [10, 20, 30];
i = 0;
total = 0;
while (true) {
    try {
        total = total + items[i];
    } except (e) {
        break;
    }
    i = i + 1;
}
print(i, total);
#> 3 60
---
// D5: throw e; rethrows the caught error unchanged
try {
    try {
        x = {}["missing"];
    } except (e) {
        print("inner", e.type);
        throw e;
    }
} except (e2) {
    print("outer", e2.type, str(e2));
}
#> inner KeyError
#> outer KeyError key 'missing' not found
---
// rethrowing a thrown object keeps its keys
try {
    try {
        throw {message: "m", code: 9};
    } except (e) {
        throw e;
    }
} except (e) {
    print(e.message, e.code, e.type);
}
#> m 9 Error
---
// propagating with a new throw built from the old message (spec 6.3 idiom)
try {
    try {
        x = int("q");
    } except (e) {
        throw {message: "wrapped: " + str(e)};
    }
} except (e) {
    print(e.message);
}
#> wrapped: invalid literal for int() with base 10: 'q'
---
// an uncaught rethrow ends the program
try {
    x = 1;
} finally {
    print("fine");
}
try { throw {message: "again"}; } except (e) { throw e; }   ### "MLRuntimeError: again"
#> fine
---
// ---- 6.4 the error object (D5) ----
try {
    throw {message: "boom", code: 3};
} except (e) {
    print(e);
    print("x: " + e);
    print(typeof(e));
    print(e == e);
}
#> boom
#> x: boom
#> error
#> true
---
// every caught error has message, type and typeof "error", also host errors
try {
    x = [1, 2][7];
} except (e) {
    print(e.message);
    print(e.type);
    print(typeof(e));
    print(isinstance(e, "error"));
}
#> array index out of range
#> IndexError
#> error
#> true
---
// str(e) is the message
try {
    throw {message: "text of it"};
} except (e) {
    s = str(e);
    print(s == e.message, len(s));
}
#> true 10
---
// ---- 6.5 uncaught errors: output before the error is kept, the run fails ----
print("first");
print("second");
x = {a: 1};
y = x["b"];   ### "MLRuntimeError: .*'b'"
print("never");
#> first
#> second
---
// the reported line is the innermost ML line
function inner() {
    return [][0];   ### "(?i)MLRuntimeError: .*index"
}
function outer() { return inner(); }
print("go");
outer();
#> go
---
s = "text";
n = s - 1;   ### "MLRuntimeError: .*unsupported operand"
---
import console;
print("before");
console.log("x");   ### "CapabilityError: .*console\.write"
#> before
---
// D5: limits are never catchable: deep recursion ends the run even inside try
function down(n) { return down(n + 1); }   ### "(?i)recursion|depth"
try {
    down(0);
} except (e) {
    print("caught", e.type);
}
print("not reached");
---
// D5: a tripped limit is sticky: return in finally cannot swallow it
function down(n) { return down(n + 1); }   ### "(?i)recursion|depth"
function g() {
    try {
        down(0);
    } finally {
        return "swallowed";
    }
}
print(g());
---
// an ordinary error is discarded by a break in finally (Python rules)
for (i in [1, 2]) {
    try {
        x = 1 / 0;
    } finally {
        break;
    }
}
print("swallowed by break", i);
#> swallowed by break 1
---
// D5: a break in finally cannot swallow a tripped limit
function down(n) { return down(n + 1); }   ### "(?i)recursion|depth"
for (i in [1, 2]) {
    try {
        down(0);
    } finally {
        break;
    }
}
print("not reached");
---
// errors raised inside functions called by builtins propagate to the caller's handler
try {
    call(fn(x) => x / 0, 5);
} except (e) {
    print(e.type);
}
try {
    r = sorted([3, "a", 1]);
} except (e) {
    print(e.type);
}
#> ZeroDivisionError
#> TypeError
---
// ---- 6.6 compile-time failures: nothing runs ----
print("never printed");
x = (1 + ;   ### "MLSyntaxError"
---
print("never printed");
y = undefined_name_xyz + 1;   ### "MLCompileError: .*undefined_name_xyz"
---
print("never printed");
import os;   ### "MLSecurityError"
---
print("never printed");
break;   ### "ML(Syntax|Compile)Error"
---
print("never printed");
function f() {
    continue;   ### "ML(Syntax|Compile)Error"
}
---
print("never printed");
function f(a, a) { return a; }   ### "ML(Syntax|Compile)Error"
---
print("never printed");
x = 1;
nonlocal x;   ### "ML(Syntax|Compile)Error"
---
// compile-time failure is reported even when the bad code is in a branch never taken
print("never printed");
if (false) {
    z = eval("1");   ### "MLSecurityError"
}
