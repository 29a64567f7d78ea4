// A shopping cart that lives in a session: each call of add() or remove() changes `cart`,
// and the next call sees the change. `prices` is set by the host, read-only.
import json;

cart = {};

function add(sku, qty) {
    if (json.get(prices, sku, null) == null) {
        throw {message: "unknown product " + sku, code: "UNKNOWN_SKU"};
    }
    cart[sku] = json.get(cart, sku, 0) + qty;
    return cart[sku];
}

function remove(sku) {
    nonlocal cart;
    kept = {};
    for (key in keys(cart)) {
        if (key != sku) {
            kept[key] = cart[key];
        }
    }
    cart = kept;
}

function total() {
    sum = 0;
    for (sku in keys(cart)) {
        sum = sum + prices[sku] * cart[sku];
    }
    return round(sum, 2);
}
