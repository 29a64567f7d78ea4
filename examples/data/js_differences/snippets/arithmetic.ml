// `/` always gives a float; `//` divides and rounds down (toward minus infinity).
print(7 / 2, 6 / 2, 7 // 2, -7 // 2);
//> 3.5 3.0 3 -4
// `%` takes the sign of the divisor (JavaScript: -7 % 3 is -1).
print(-7 % 3, 7 % -3, 7 % 3);
//> 2 -2 1
// Integers have no size limit short of the memory guard: no precision loss, no BigInt.
print(9007199254740993 + 1, 2 * 10000000000 * 10000000000);
//> 9007199254740994 200000000000000000000
// Floats are doubles, as in JavaScript.
print(0.1 + 0.2);
//> 0.30000000000000004
// There is no `**`: use math.pow. Division by zero is an error, not Infinity.
import math;
print(math.pow(2, 10));
//> 1024
try {
    x = 1 / 0;
} except (e) {
    print(e.message);
}
//> division by zero
