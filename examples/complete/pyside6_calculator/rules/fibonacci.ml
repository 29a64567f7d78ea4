// Statistics of the first n Fibonacci numbers modulo 1000 (their last three digits):
// count, mean, smallest and largest. A long loop for a large n: the window runs it on a
// worker, and its Cancel button stops it. Input: n.
// [fibonacci]
a = 0;
b = 1;
i = 0;
total = 0;
smallest = 1000;
largest = 0;
while (i < n) {
    digits = a % 1000;
    total = total + digits;
    smallest = min(smallest, digits);
    largest = max(largest, digits);
    next = (a + b) % 1000000;
    a = b;
    b = next;
    i = i + 1;
}
result = {count: n, mean: total / max(n, 1), smallest: smallest, largest: largest};
// [/fibonacci]
