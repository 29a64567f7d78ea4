// Symptom: "array indices must be integers": `/` always gives a float.
// [middle]
sorted_values = sorted(scores);
result = sorted_values[len(sorted_values) / 2];
// [/middle]
