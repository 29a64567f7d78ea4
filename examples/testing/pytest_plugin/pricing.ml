// Pricing rules: what an order costs. The service (app.py) loads them into a session and
// calls quote() for each order; rates come from a JSON file the service grants.
import file;
import json;

function load_rates(path) {
    return json.parse(file.read(path));
}

function subtotal(items) {
    total = 0;
    for (item in items) {
        total = total + item.price * item.qty;
    }
    return total;
}

function discount(amount, tier, rates) {
    if (json.hasKey(rates.discounts, tier)) {
        return amount * rates.discounts[tier];
    }
    return 0;
}

function quote(order, rates) {
    amount = subtotal(order.items);
    return amount - discount(amount, order.tier, rates);
}
