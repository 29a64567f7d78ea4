// Whether every line of an order is in stock; `stock(sku)` is the host's inventory lookup.
missing = [];
for (line in order.lines) {
    if (stock(line.sku) < line.qty) {
        missing.append(line.sku);
    }
}
result = {accepted: len(missing) == 0, missing: missing};
