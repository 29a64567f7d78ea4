// Spec section 1: lexical structure (DESIGN D1, D3, D4 apply).
// 1.1 newlines are not significant: a statement may span lines, a line may hold several
x =
  1
  +
  2;
print(
  x
);
a = 1; b = 2; print(a + b); print(a * b);
#> 3
#> 3
#> 2
---
// 1.1 tabs and form feeds are whitespace
x	=	4;print(	x	);
#> 4
---
// 1.1 a line break does not end a statement: the ';' is required
x = 1   ### "MLSyntaxError"
y = 2;
---
// 1.1 non-ASCII characters are allowed in strings and comments: ünïcödé ✓
s = "héllo wörld ✓";
print(s, len(s));
#> héllo wörld ✓ 13
---
// 1.1 non-ASCII characters are not allowed in identifiers
print("before");
café = 1;   ### "MLSyntaxError"
---
// 1.2 line comments; '//' inside a string literal is not a comment
// print("not run");
x = 1; // after a statement
print(x); // print("not run either");
print("a // b", 'http://x');
#> 1
#> a // b http://x
---
// 1.2 there are no block comments
print("before");
/* a block comment */   ### "MLSyntaxError"
---
// 1.2 comments are safe after ',', '(', '{', an operator and at line start
y = [1, 2, // after a comma
     3];
s = 1 + // after an operator
    2;
print(len( // after an open paren
  y), s);
if (true) { // after a brace
  print("in");
} // after a closing brace
#> 3 3
#> in
---
// 1.2 after a complete operand, '//' is floor division
n = 17;
a = [9];
print(n // 5, (7) // 2, a[0] // 2, 10 // 3 // 2);
#> 3 3 4 1
---
// 1.2 a "comment" after an operand is parsed as floor division by a name
z = [1, 2 // comment   ### "'comment'"
     , 3];
---
// 1.3 identifiers: letters, digits, '_'; case-sensitive; 'fn...' words are fine
_tmp = 1;
a1_B2 = 2;
_ = 3;
abc = 1; ABC = 2; Abc = 3;
fnord = 1;
fn_1 = 2;
fnx = fn(v) => v + fnord + fn_1;
print(_tmp + a1_B2 + _, abc, ABC, Abc, fnx(10));
#> 6 1 2 3 13
---
// 1.3 'fn' itself is never an identifier
fn = 1;   ### "MLSyntaxError"
---
// 1.3 using a name starting with '__' is a security error (nothing runs)
print("before");
__secret = 1; print(__secret);   ### "MLSecurityError"
---
// 1.3 member names starting with '__' are always forbidden (nothing runs)
print("before");
o = {a: 1};
print(o.__class__);   ### "MLSecurityError"
---
// 1.3 / 3.4 a function whose name starts with '__' is a security error
function __hidden() {   ### "MLSecurityError"
  return 1;
}
---
// 1.3 / 13.14 Python keywords (and async/await) are ordinary ML identifiers
class = 1; def = 2; pass = 3; lambda = 4; is = 5; not = 6; del = 7;
async = 1;
await = 2;
print(class + def + pass + lambda + is + not + del, async + await);
#> 28 3
---
// 1.3 / 13.14 Python-keyword names work in every binding position
function f(class, def) { return class * def; }
g = fn(lambda) => lambda + 1;
[with, yield] = [2, 3];
for (pass in [7]) { }
try {
  throw {message: "m"};
} except (raise) {
  print(str(raise));
}
global = 0;
function bump() { nonlocal global; global = global + 1; }
bump(); bump();
print(f(with, yield), g(1), pass, global);
#> m
#> 6 2 7 2
---
// 13.15 a variable named like a host name does not break unrelated code
str = "shadow";
print("a" + 1, str);
#> a1 shadow
---
// 1.4 statement keywords cannot be variable names: if
if = 1;   ### "MLSyntaxError"
---
// 1.4 statement keywords cannot be variable names: function
function = 1;   ### "MLSyntaxError"
---
// 1.4 statement keywords cannot be variable names: return
x = 0;
return = 1;   ### "MLSyntaxError"
---
// 1.4 statement keywords cannot be variable names: import
import = 1;   ### "MLSyntaxError"
---
// 1.4 'true' and 'false' cannot be assigned
true = 1;   ### "MLSyntaxError"
---
// 1.4 the capability words, words starting with true/false, and keywords of other
// languages are ordinary identifiers
resource = 1; allow = 2; read = 3; write = 4;
execute = 5; network = 6; system = 7;
true_val = 1; falsehood = 2;
let = 1; var = 2; const = 3; new = 4; this = 5;
switch = 6; case = 7; do = 8; catch = 9;
print(resource + allow + read + write + execute + network + system, true_val + falsehood);
print(let + var + const + new + this + switch + case + do + catch);
#> 28 3
#> 45
---
// 1.4 keywords can be object keys and member names (fn too, as recommended)
o = {if: 1, while: 2, return: 3, function: 4, import: 5, true: 6,
     throw: 7, capability: 8, nonlocal: 9, for: 10, else: 11, fn: 12};
print(o.if + o.while + o.return, o.function, o.import, o.true, o.throw);
print(o.capability, o.nonlocal, o.for, o.else, o["if"], o.fn);
o.break = 13;
print(o["break"]);
#> 6 4 5 6 7
#> 8 9 10 11 1 12
#> 13
---
// 1.4 'True' is a plain identifier, unknown unless assigned (nothing runs)
print("before");
x = True;   ### "unknown name 'True'"
---
// 1.4 typeof is a builtin function, not an operator
print(typeof(1), typeof("s"));
x = typeof 1;   ### "MLSyntaxError"
---
// 1.5.1 float literal forms, leading zeros, Python repr when printed
print(1., .5, 1e3, 2.5E-3, 007, 1.5e3);
print(1e20, 1E+2, 5e-1, 0.1 + 0.2, 10.0, 10);
#> 1.0 0.5 1000.0 0.0025 7 1500.0
#> 1e+20 100.0 0.5 0.30000000000000004 10.0 10
---
// 1.5.1 a literal with '.' or an exponent is a float, otherwise an unbounded integer
print(1e3 == 1000, typeof(1e3), 4 / 2, 4 // 2, 4.0 // 2);
print(99999999999999999999 + 1, 12345678901234567890 * 10);
#> true number 2.0 2 2.0
#> 100000000000000000000 123456789012345678900
---
// 1.5.1 hexadecimal literals are not supported
x = 0x1F;   ### "MLSyntaxError"
---
// 1.5.1 digit separators are not supported
x = 1_000;   ### "MLSyntaxError"
---
// 1.5.1 Infinity is not a literal (an unknown name; nothing runs)
print("before");
x = Infinity;   ### "unknown name 'Infinity'"
---
// 1.5.1 signs at operand positions are part of the literal; after an operand they are operators
function f(n) { return n * 2; }
x = -5;
y = +5;
a = [10, 20, 30];
print(x, y, a[-1], 2 - -3, 5 -3, y-1, 2+-1);
print(f(-1), f(+2), [-1, +1]);
#> -5 5 30 5 2 4 1
#> -2 4 [-1, 1]
---
// 1.5.1 there is no unary plus operator
x = 3;
y = +x;   ### "MLSyntaxError"
---
// 1.5.2 single and double quotes are equivalent
print("double", 'single', "it's", 'say "hi"', "abc" == 'abc');
#> double single it's say "hi" true
---
// 1.5.2 newlines may appear literally inside a string
s = "line one
line two";
print(s);
print(len(s));
#> line one
#> line two
#> 17
---
// 1.5.2 / D1 escapes are processed: \n \t \r \\ \0
print(len("a\tb"), len("line1\nline2"), len("\\"), len("\0"), len("\r"));
print(ord("\t"), ord("\n"), ord("\r"), ord("\0"), ord("\\"));
print("x\ny");
#> 3 11 1 1 1
#> 9 10 13 0 92
#> x
#> y
---
// 1.5.2 / D1 escaped quotes, backslashes, \xHH and \uHHHH
print("say \"hi\"", 'it\'s', len('it\'s'), "a\'b", 'a\"b');
print("C:\\dir", len("C:\\dir"));
print("\x41\u0042\u00e9", len("\u00e9"), ord("\u20ac"));
#> say "hi" it's 4 a'b a"b
#> C:\dir 6
#> ABé 1 8364
---
// 1.5.2 / D1 an unknown escape keeps its backslash (regex patterns keep working)
print("\d+", len("\d"), "\w" == "\\w");
print(["a\nb", 'x']);
#> \d+ 2 true
#> ['a\nb', 'x']
---
// 1.5.2 an unterminated string is a syntax error
s = "abc;   ### "MLSyntaxError"
---
// 1.5.2 (Ours) string contents are never scanned for dangerous words
print("reopen (door)");
print("use eval(x) or exec (y), os.system(z), subprocess.run");
#> reopen (door)
#> use eval(x) or exec (y), os.system(z), subprocess.run
---
// 1.5.3 booleans are also the integers 1 and 0; D3 they display as true/false everywhere
print(true, false, true == 1, false == 0, true + true, typeof(true));
print([true, false], "x" + true, str(false), {k: true});
#> true false true true 2 boolean
#> [true, false] xtrue false {'k': true}
---
// 1.5.4 / D3 / D4 null and undefined denote the null value, displayed as null
print(null, undefined, null == undefined, typeof(null), typeof(undefined));
print([null], "v=" + null, str(null), {k: null});
#> null null true null null
#> [null] v=null null {'k': null}
---
// 1.5.4 'undefined' is only null while no variable of that name exists
undefined = 5;
print(undefined, null);
#> 5 null
---
// 1.5.4 assigning to null is an error
null = 1;   ### "MLSyntaxError|null"
---
// 1.5.5 array and object literals
print([], {}, [1, [2, 3]], {a: 1, "b c": 2});
#> [] {} [1, [2, 3]] {'a': 1, 'b c': 2}
---
// 1.6 the ML operators; '--x' is two unary minuses, '!!' two negations
x = 5;
print(7 % 3, 7 // 2, 7 / 2, 2 * 3, 5 - 8, 1 + 1);
print(1 == 1, 1 != 2, 1 < 2, 2 > 1, 1 <= 1, 2 >= 3);
print(true && false, true || false, !true, 1 < 2 ? "y" : "n");
print(--x, - -x, -(-x), !!x, !!0);
#> 1 3 3.5 6 -3 2
#> true true true true true false
#> false true false y
#> 5 5 5 true false
---
// 1.6 there is no '**' operator
x = 2 ** 3;   ### "MLSyntaxError"
---
// 1.6 there are no compound assignments
x = 1;
x += 1;   ### "MLSyntaxError"
---
// 1.6 there is no '++'
x = 1;
x++;   ### "MLSyntaxError"
---
// 1.6 there is no '==='
print(1 === 1);   ### "MLSyntaxError"
---
// 1.6 there are no bitwise operators
print(6 & 3);   ### "MLSyntaxError"
---
// 1.6 'in' is not an operator
a = [1, 2];
print(1 in a);   ### "MLSyntaxError"
---
// 1.6 there is no spread
a = [1, 2];
b = [...a];   ### "MLSyntaxError"
---
// 1.6 there is no optional chaining
o = {a: 1};
print(o?.a);   ### "MLSyntaxError"
---
// 1.6 there are no template strings
x = `text`;   ### "MLSyntaxError"
---
// 1.6 there are no comma expressions
x = 1, 2;   ### "MLSyntaxError"
---
// 1.6 assignment is not an expression
print(y = 2);   ### "MLSyntaxError"
