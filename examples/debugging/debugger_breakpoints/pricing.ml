// Pricing functions (an ML module); the debugger shows why gold baskets get no discount.
// [pricing]
function discount(total, tier) {
    rate = 0;
    if (tier == "Gold") { rate = 0.1; }
    return total * rate;
}

function price(basket) {
    total = 0;
    for (item in basket.items) {
        total = total + item.price * item.qty;
    }
    return total - discount(total, basket.tier);
}
// [/pricing]
