// `==` compares values, deeply: two arrays or objects with equal contents are equal.
print([1, [2, 3]] == [1, [2, 3]], {a: 1, b: [2]} == {a: 1, b: [2]});
//> true true
// No type coercion: a string never equals a number (JavaScript: "1" == 1 is true).
print("1" == 1, "" == 0, null == 0, null == false);
//> false false false false
// Integers and floats compare by value, and booleans equal 1 and 0.
print(1 == 1.0, true == 1, false == 0);
//> true true true
// `undefined` is another name for null.
print(undefined == null, typeof(undefined));
//> true null
