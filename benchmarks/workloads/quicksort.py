# Python twin of quicksort.ml.
# Input: n (bound by benchmarks/run.py).


def make_data(count, seed):
    data = []
    x = seed
    i = 0
    while i < count:
        x = (x * 1103515245 + 12345) % 2147483648
        data.append(x % 1000000)
        i = i + 1
    return data


def quicksort(a, lo, hi):
    if lo >= hi:
        return
    pivot = a[(lo + hi) // 2]
    i = lo
    j = hi
    while i <= j:
        while a[i] < pivot:
            i = i + 1
        while a[j] > pivot:
            j = j - 1
        if i <= j:
            t = a[i]
            a[i] = a[j]
            a[j] = t
            i = i + 1
            j = j - 1
    quicksort(a, lo, j)
    quicksort(a, i, hi)


data = make_data(n, 42)  # noqa: F821
quicksort(data, 0, len(data) - 1)
result = [data[0], data[n // 2], data[n - 1], sum(data)]  # noqa: F821
