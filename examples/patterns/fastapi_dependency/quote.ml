// The quote of an order. The host passes `order`:
//   {currency: "EUR" | "USD" | "GBP", items: [{sku, price, qty}, ...]}  (prices in EUR)
// and the host function `fx_rate(currency)`, which needs the capability fx.read, and reads
// `result`.

// [volume]
// Volume pricing: from the eleventh unit on, each unit is 1% cheaper than the one before,
// down to half price. The loop runs once per unit, so its cost grows with the quantity:
// the time limit the service gives every quote bounds it.
function line_total(item) {
    if (item.qty <= 0) {
        throw {message: "quantity must be positive", sku: item.sku};
    }
    total = 0;
    unit = item.price;
    n = 0;
    while (n < item.qty) {
        if (n >= 10 && unit > item.price / 2) {
            unit = unit * 0.99;
        }
        total = total + unit;
        n = n + 1;
    }
    return total;
}
// [/volume]

subtotal = 0;
for (item in order.items) {
    subtotal = subtotal + line_total(item);
}
rate = order.currency == "EUR" ? 1 : fx_rate(order.currency);
result = {currency: order.currency, total: round(subtotal * rate, 2)};
