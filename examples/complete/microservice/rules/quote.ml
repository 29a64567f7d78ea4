// The price of an order. The host passes `order` ({items: [{sku, price, qty}], currency})
// and the host function `exchange_rate(currency)`, which needs the grant `rates.read`.
import json;

// [quote]
subtotal = 0;
for (item in order.items) {
    qty = int(item.qty);
    if (qty <= 0) {
        throw {message: "qty of " + str(item.sku) + " must be positive"};
    }
    subtotal = subtotal + float(item.price) * qty;
}
discount = subtotal >= 100 ? 0.1 : 0;  // 10 % off from 100
currency = json.get(order, "currency", "EUR");
rate = currency == "EUR" ? 1 : exchange_rate(currency);  // a partner-only lookup
result = {subtotal: subtotal, discount: discount, currency: currency,
          total: round(subtotal * (1 - discount) * rate, 2)};
// [/quote]
