// `+` joins text only when one operand is a string literal, written in the source.
n = 3;
print("items: " + n, n + " items", "a" + 1 + 2, 1 + 2 + "a");
//> items: 3 3 items a12 3a
// `*` repeats a string; it never turns text into a number.
print("5" * 2, "ab" * 3);
//> 55 ababab
// Convert explicitly: int(), float(), str(). int() refuses trailing text (no parseInt).
print(int("42") + 1, float("2.5"), str(12) + "!");
//> 43 2.5 12!
// true, false and null print as such, and strings have Python's methods.
print("x" + true, str(null), "a,b".split(","), " pad ".strip());
//> xtrue null ['a', 'b'] pad
