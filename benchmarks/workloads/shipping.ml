// A small business rule the host calls once per order: the shipping fee.
// The host gets it with `session.function("score")` and calls it like a Python function.
function score(order) {
    if (order.total >= 100 && order.country == "US") {
        return 0;
    }
    fee = 4.99;
    if (order.weight > 5) {
        fee = fee + (order.weight - 5) * 1.25;
    }
    if (order.country != "US") {
        fee = fee + 12;
    }
    if (order.express) {
        fee = fee * 2;
    }
    return fee;
}

// The same rule reading the fields with o["key"] (an error if a field is missing).
function score_indexed(order) {
    if (order["total"] >= 100 && order["country"] == "US") {
        return 0;
    }
    fee = 4.99;
    if (order["weight"] > 5) {
        fee = fee + (order["weight"] - 5) * 1.25;
    }
    if (order["country"] != "US") {
        fee = fee + 12;
    }
    if (order["express"]) {
        fee = fee * 2;
    }
    return fee;
}
