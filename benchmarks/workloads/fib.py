# Python twin of fib.ml: the same program, written the same way.
# Input: n (bound by benchmarks/run.py).


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


result = fib(n)  # noqa: F821
