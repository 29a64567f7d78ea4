// Orders shipped to a country under embargo are refused.
BLOCKED = ["XX", "YY"];

function check(order, customer) {
    for (country in BLOCKED) {
        if (order.ship_to == country) {
            return {decision: "refuse", reason: "no shipping to " + country};
        }
    }
    return null;
}
