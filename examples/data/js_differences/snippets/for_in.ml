// `for (x in array)` gives the elements, not the indexes.
for (x in [10, 20]) {
    print(x);
}
//> 10
//> 20
// Over an object it gives the keys; over a string, the characters.
for (key in {a: 1, b: 2}) {
    print(key);
}
//> a
//> b
for (c in "hi") {
    print(c);
}
//> h
//> i
// For the indexes, walk a range or use enumerate.
items = ["x", "y"];
for (i in range(len(items))) {
    print(i, items[i]);
}
//> 0 x
//> 1 y
for (pair in enumerate(items)) {
    [i, item] = pair;
    print(i, item);
}
//> 0 x
//> 1 y
