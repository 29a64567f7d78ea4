// sort() compares values, not their text (JavaScript sorts [3, 1, 10, 2] to [1, 10, 2, 3]).
a = [3, 1, 10, 2];
a.sort();
print(a);
//> [1, 2, 3, 10]
// typeof names arrays and null as such.
print(typeof([]), typeof(null), typeof({}), typeof(fn(x) => x));
//> array null object function
