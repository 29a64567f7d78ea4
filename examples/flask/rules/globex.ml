// Globex's pricing rules: shipping is free from 50 EUR. Same inputs as acme.ml.

subtotal = 0;
for (item in order.items) {
    subtotal = subtotal + item.price * item.qty;
}
shipping = subtotal >= 50 ? 0 : 4.95;
rate = order.currency == "EUR" ? 1 : fx_rate(order.currency);
result = {currency: order.currency, total: round((subtotal + shipping) * rate, 2)};
