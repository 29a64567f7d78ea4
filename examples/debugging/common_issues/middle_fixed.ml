// Fix: `//` divides and rounds down to an integer; `%` takes the sign of the divisor.
// [middle-fixed]
sorted_values = sorted(scores);
result = [sorted_values[len(sorted_values) // 2], -1 % 7];
// [/middle-fixed]
