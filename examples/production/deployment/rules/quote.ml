// The price of a shipment: its lines, a surcharge per kilogram above 20 kg, and free
// shipping from 100. The service (app.py) runs it once per request with the order as `order`.
subtotal = 0;
weight = 0;
for (line in order.lines) {
    subtotal = subtotal + line.price * line.qty;
    weight = weight + line.kg * line.qty;
}
shipping = 0;
if (subtotal < 100) {
    shipping = 4.9 + max(0, weight - 20) * 0.5;
}
result = {subtotal: round(subtotal, 2), shipping: round(shipping, 2),
          total: round(subtotal + shipping, 2)};
