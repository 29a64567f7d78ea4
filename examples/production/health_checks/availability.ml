// Whether an order can ship today: every line must be in stock at the warehouse.
// `stock(sku)` is a host function that asks the warehouse service.
function missing(order) {
    short = [];
    for (line in order.lines) {
        if (stock(line.sku) < line.qty) {
            short.append(line.sku);
        }
    }
    return short;
}

result = {ships_today: len(missing(order)) == 0, missing: missing(order)};
