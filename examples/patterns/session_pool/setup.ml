// Run once in every session of the pool, before any request: the tax table and the
// functions a request's script may call. A request's own script comes after this.

tax_rates = {"food": 0.07, "books": 0.0, "other": 0.19};
coupon = 0;  // a request's script may set it; the pool rolls it back afterwards

function line_total(item) {
    rate = tax_rates[item.kind];
    return item.price * item.qty * (1 + rate);
}

function checkout(items) {
    total = 0;
    for (item in items) {
        total = total + line_total(item);
    }
    return round(total * (100 - coupon) / 100, 2);
}
