# Python twin of rangeloop.ml.
# Input: n (bound by benchmarks/run.py).


def squares(n):
    s = 0
    for i in range(n):
        s = s + i * i % 7
    return s


result = squares(n)  # noqa: F821
