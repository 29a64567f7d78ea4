# Python twin of concat.ml.
# Input: n (bound by benchmarks/run.py).


def build(n):
    s = ""
    i = 0
    while i < n:
        s = s + "x"
        i = i + 1
    return s


result = len(build(n))  # noqa: F821
