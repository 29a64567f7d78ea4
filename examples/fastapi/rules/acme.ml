// Acme's pricing rules. The host passes `order`:
//   {currency: "EUR" | "USD" | ..., items: [{sku, price, qty}, ...]}  (prices in EUR)
// and the host function `fx_rate(currency)`, and reads `result`.

subtotal = 0;
for (item in order.items) {
    if (item.qty <= 0) {
        throw {message: "quantity must be positive", sku: item.sku};
    }
    subtotal = subtotal + item.price * item.qty;
}
discount = subtotal >= 100 ? subtotal * 0.10 : 0;
rate = order.currency == "EUR" ? 1 : fx_rate(order.currency);
result = {currency: order.currency, total: round((subtotal - discount) * rate, 2)};
