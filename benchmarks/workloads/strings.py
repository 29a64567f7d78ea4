# Python twin of strings.ml.
# Input: n (bound by benchmarks/run.py).


def render(n):
    lines = []
    for i in range(n):
        label = "item-" + str(i)
        lines.append(label + ": " + str(i * 3 % 17) + " units, " + label.upper())
    return "\n".join(lines)


text = render(n)  # noqa: F821
result = [len(text), text[0:40]]
