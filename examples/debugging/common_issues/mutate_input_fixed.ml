// Fix: build a new array (a slice or `+` makes a copy ML owns) instead of changing the input.
// [copy]
items = order.items + [{sku: "GIFT", price: 0}];
result = len(items);
// [/copy]
