// Reads a Money value through the members its class declares, and returns new ones.
// [invoice]
total = unit_price.times(quantity);
result = {
    currency: total.currency,
    total: total,
    with_shipping: total.plus(shipping_cents),
    shown: str(total)
};
// [/invoice]
