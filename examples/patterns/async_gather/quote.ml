// The price of one order in its customer's currency.
// The host provides `order` and `exchange_rate`, an async lookup that ML calls like any
// other function.
total = 0;
for (item in order.items) {
    total = total + item.price * item.qty;
}
result = {
    "order": order.id,
    "currency": order.currency,
    "total": round(total * exchange_rate(order.currency), 2)
};
