// Order pricing rules, the size of a typical embedded script (~80 lines):
// discounts, coupons, tax by country and a text receipt.
tax_rates = {US: 0.07, DE: 0.19, FR: 0.2, GB: 0.2, JP: 0.1};
coupons = {SAVE10: 10, WELCOME: 5, VIP: 20};

function line_total(item) {
    total = item.price * item.qty;
    if (item.qty >= 10) {
        total = total * 0.95;
    }
    return total;
}

function subtotal(items) {
    amount = 0;
    for (item in items) {
        amount = amount + line_total(item);
    }
    return amount;
}

function discount(order, amount) {
    percent = 0;
    if (order.customer.tier == "gold") {
        percent = 10;
    } elif (order.customer.tier == "silver") {
        percent = 5;
    }
    if (order.coupon != null && keys(coupons).count(order.coupon) > 0) {
        percent = max(percent, coupons[order.coupon]);
    }
    return amount * percent / 100;
}

function tax(order, amount) {
    if (keys(tax_rates).count(order.country) == 0) {
        throw {message: "no tax rate for " + order.country, country: order.country};
    }
    return round(amount * tax_rates[order.country], 2);
}

function pad(text, width) {
    while (len(text) < width) {
        text = text + " ";
    }
    return text;
}

function receipt(order) {
    lines = [];
    for (item in order.items) {
        lines.append(pad(item.name, 20) + str(item.qty) + " x " + format(item.price, ".2f"));
    }
    amount = subtotal(order.items);
    off = discount(order, amount);
    net = amount - off;
    vat = tax(order, net);
    lines.append(pad("subtotal", 20) + format(amount, ".2f"));
    if (off > 0) {
        lines.append(pad("discount", 20) + "-" + format(off, ".2f"));
    }
    lines.append(pad("tax", 20) + format(vat, ".2f"));
    lines.append(pad("total", 20) + format(net + vat, ".2f"));
    return "\n".join(lines);
}

order = {
    customer: {name: "Ada", tier: "gold"},
    country: "DE",
    coupon: "SAVE10",
    items: [
        {name: "keyboard", price: 49.5, qty: 1},
        {name: "cable", price: 3.25, qty: 12},
        {name: "monitor", price: 189.0, qty: 2}
    ]
};
try {
    result = receipt(order);
} except (e) {
    result = "error: " + e.message;
}
