# Python twin of wordcount.ml.
# Input: text (bound by benchmarks/run.py).


def count_words(text):
    counts = {}
    for word in text.split(" "):
        counts[word] = counts.get(word, 0) + 1
    return counts


counts = count_words(text)  # noqa: F821
result = [len(counts), counts.get("w7", 0), sum(counts.values())]
