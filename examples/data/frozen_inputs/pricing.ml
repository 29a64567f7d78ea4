// A pricing rule that (wrongly) tries to change the price list it was given.
// [pricing]
function price(sku, qty) {
    entry = catalog.items[sku];
    return entry.price * qty * (1 - catalog.discount);
}

try {
    catalog.items["pen"].price = 0;      // a rule must not change shared data
    catalog.discount = 1;
} except (e) {
    print("refused:", e.message);
}
result = price(sku, qty);
// [/pricing]
