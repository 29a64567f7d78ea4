// Shows what each Python value becomes in ML, and returns one value of every ML type.
// [inbound]
print("int", typeof(whole), "| float", typeof(real), "| str", typeof(text));
print("bool", typeof(flag), "| None", typeof(nothing), "| bytes", typeof(raw));
print("list", typeof(items), "| tuple", typeof(pair), "| set", typeof(tags), tags);
print("dict", typeof(record), "| Decimal", typeof(price), price);
// [/inbound]

// [outbound]
result = {
    integer: 2 * 10000000000 * 10000000000,
    float: 7 / 2,
    text: "Ada",
    flag: true,
    nothing: null,
    array: [1, [2, 3]],
    object: {nested: {ok: true}},
    double: fn(x) => x * 2
};
// [/outbound]
