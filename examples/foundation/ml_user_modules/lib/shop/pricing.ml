// Discounts and totals for orders.
import json;
import shop.money as money;

DISCOUNTS = {gold: 0.1, silver: 0.05};
_FREE_SHIPPING_FROM = 50;
priced = 0;

function discount(tier) {
    return json.get(DISCOUNTS, tier, 0);
}

function total(order) {
    nonlocal priced;
    subtotal = 0;
    for (item in order.items) {
        subtotal = subtotal + item.price * item.qty;
    }
    after = subtotal * (1 - discount(order.tier));
    shipping = after >= _FREE_SHIPPING_FROM ? 0 : 4.9;
    priced = priced + 1;
    return money.cents(after + shipping);
}
