// Symptom: "array index out of range": `for in` gives elements, and they are used as indexes.
// [index]
total = 0;
for (i in prices) {
    total = total + prices[i];
}
result = total;
// [/index]
