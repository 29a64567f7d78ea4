// Symptom: MLTimeoutError under a timeout sized for a small input.
total = 0;
for (i in range(count)) {
    total = total + i % 7;
}
result = total;
