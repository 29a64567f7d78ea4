// Negative indexes count from the end, on arrays and strings.
a = [10, 20, 30];
print(a[-1], a[-2], "hello"[-1]);
//> 30 20 o
// Slices copy a part: a[start:stop:step].
print(a[1:], a[:-1], a[::-1], "hello"[1:3]);
//> [20, 30] [10, 20] [30, 20, 10] el
// Reading past the end is an error, not undefined.
try {
    x = a[3];
} except (e) {
    print(e.message);
}
//> array index out of range
// On objects, o.key of a missing key is null, while o["key"] requires the key.
o = {name: "Ada"};
print(o.email, o.length);
//> null null
try {
    x = o["email"];
} except (e) {
    print(e.message);
}
//> key 'email' not found
