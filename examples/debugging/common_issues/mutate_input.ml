// Symptom: "this array is read-only: the host passed it frozen".
// [mutate]
items = order.items;
items.append({sku: "GIFT", price: 0});
result = len(items);
// [/mutate]
