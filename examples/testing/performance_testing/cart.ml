// The price of a cart: each line's price times its quantity, 10 % off lines of 10 or more,
// and the total. `cart` comes from the host; total() is also called as a callback.
function line_price(line) {
    price = line.price * line.qty;
    if (line.qty >= 10) {
        price = price * 0.9;
    }
    return price;
}

function total(cart) {
    sum = 0;
    for (line in cart) {
        sum = sum + line_price(line);
    }
    return round(sum, 2);
}

result = total(cart);
