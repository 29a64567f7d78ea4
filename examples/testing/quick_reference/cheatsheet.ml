// ML on one page. Each section between its markers is a program of its own that
// test_quick_reference.py runs alone, checking that it prints exactly its //> lines; the
// whole file runs too (python app.py).

// [values]
n = 42;
price = 2.5;
name = "Ada";
ok = true;
nothing = null;
items = [10, 20, 30];
point = {x: 1, y: 2};
print(typeof(n), typeof(name), typeof(ok), typeof(nothing), typeof(items), typeof(point));
//> number string boolean null array object
print(items[0], items[-1], items[1:], point.x, point["y"], point.z, len(items));
//> 10 30 [20, 30] 1 2 null 3
// [/values]

// [operators]
print(7 / 2, 7 // 2, -7 % 3, "ab" * 2, [1] + [2], "n=" + 3);
//> 3.5 3 2 abab [1, 2] n=3
print([1, [2]] == [1, [2]], {a: 1} == {a: 1}, 1 == "1", 1 < 2 && 2 < 3);
//> true true false true
print(!0, ![], !"", null || "default", 0 && "never", 2 > 1 ? "yes" : "no");
//> true true true default 0 yes
// [/operators]

// [control]
total = 0;
for (x in [1, 2, 3, 4, 5, 6]) {
    if (x == 5) {
        break;
    } elif (x % 2 == 1) {
        continue;
    }
    total = total + x;
}
stock = {apples: 3, pears: 0};
for (fruit in stock) {
    print(fruit, stock[fruit]);
}
//> apples 3
//> pears 0
i = 1;
while (i < 100) {
    i = i * 3;
}
print(total, i);
//> 6 243
// [/control]

// [functions]
function area(w, h) {
    return w * h;
}
double = fn(x) => x * 2;
function counter() {
    state = {n: 0};
    return fn() => {
        state.n = state.n + 1;
        return state.n;
    };
}
next_id = counter();
next_id();
[first, second] = [area(2, 3), double(21)];
{x, y} = {x: 5, y: 6};
print(first, second, next_id(), x + y);
//> 6 42 2 11
// [/functions]

// [collections]
words = "b,a,c".split(",");
words.append("d");
print(sorted(words), "-".join(words), words.index("c"), "Ada".upper());
//> ['a', 'b', 'c', 'd'] b-a-c-d 2 ADA
order = {id: 7, lines: [2, 3]};
order.paid = false;
print(keys(order), sum(order.lines), range(3), enumerate(["x"]));
//> ['id', 'lines', 'paid'] 5 [0, 1, 2] [[0, 'x']]
// [/collections]

// [errors]
function parse_qty(text) {
    qty = int(text);
    if (qty < 0) {
        throw {message: "negative quantity", value: qty};
    }
    return qty;
}
try {
    parse_qty("-2");
} except (e) {
    print(e.type, e.message);
} finally {
    print("checked");
}
//> Error negative quantity
//> checked
// [/errors]

// [modules]
import json;
import math;
data = json.parse('{"r": 2}');
print(math.floor(math.pi * math.pow(data.r, 2)), json.stringify({ok: true}));
//> 12 {"ok": true}
// [/modules]

// [capabilities]
import console;
print(getCapabilities(), hasCapability("file.read"));
//> ['console.write'] false
console.log("console.log needs console.write");
//> console.log needs console.write
// [/capabilities]
