// What stays as in JavaScript: && and || give one of their operands, ?: and try/throw work,
// and arrays and objects are shared, not copied.
name = "";
print(name || "anonymous", 3 && "yes", 0 && "never");
//> anonymous yes 0
qty = 120;
print(qty > 100 ? "bulk" : "single");
//> bulk
try {
    throw {message: "out of stock", sku: "A-1"};
} except (e) {
    print(e.message, e.sku);
}
//> out of stock A-1
a = [1];
b = a;
b.append(2);
print(a);
//> [1, 2]
