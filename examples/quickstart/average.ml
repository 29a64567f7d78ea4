// The average of the numbers passed in as `numbers`.
total = 0;
for (number in numbers) {
    total = total + number;
}
print("average:", total / len(numbers));
