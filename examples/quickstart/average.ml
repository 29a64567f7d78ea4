// The average of the numbers passed in as `values`.
total = 0;
for (value in values) {
    total = total + value;
}
print("average:", total / len(values));
