# Python twin of loop.ml.
# Input: n (bound by benchmarks/run.py).


def loop(n):
    i = 0
    total = 0
    while i < n:
        total = (total + i * 7 + 3) % 1000003
        i = i + 1
    return total


result = loop(n)  # noqa: F821
