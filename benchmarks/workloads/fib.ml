// Recursive Fibonacci: function-call cost (one call per node, ~250,000 calls for n = 25).
// Input: n.
function fib(n) {
    if (n < 2) {
        return n;
    }
    return fib(n - 1) + fib(n - 2);
}

result = fib(n);
