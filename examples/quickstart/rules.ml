// Pricing rules for one order. The host passes `order`:
//   {tier: "gold" | "silver" | "basic", items: [{sku, price, qty}, ...]}
// and reads `result`.

function subtotal(items) {
    total = 0;
    for (item in items) {
        if (item.qty <= 0) {
            throw {message: "quantity must be positive", sku: item.sku};
        }
        total = total + item.price * item.qty;
    }
    return total;
}

function discount_rate(tier, amount) {
    if (tier == "gold") {
        return 0.10;
    } elif (tier == "silver" && amount >= 100) {
        return 0.05;
    }
    return 0;
}

function shipping(amount) {
    return amount >= 50 ? 0 : 4.95;
}

amount = subtotal(order.items);
discount = round(amount * discount_rate(order.tier, amount), 2);
result = {
    subtotal: amount,
    discount: discount,
    shipping: shipping(amount),
    total: round(amount - discount + shipping(amount), 2)
};
