// The shop's order rules. The host passes an order as
// {customer: string, country: string, amount: number (EUR), express: boolean}.

// [problems]
// What is wrong with an order, as [{field, message}, ...]: the model's validation.
function problems(order) {
    found = [];
    if (order.amount <= 0) {
        found.append({field: "amount", message: "must be more than 0 EUR"});
    }
    if (order.express && order.country != "DE") {
        found.append({field: "express", message: "express delivery is for Germany only"});
    }
    return found;
}
// [/problems]

// [decide]
// Approve or reject an order: the admin action. Orders saved without the model's
// validation (a data import, say) may reach it, so it checks what it relies on.
function decide(order) {
    if (len(order.country) != 2) {
        throw {message: "the country must be a two-letter code"};
    }
    if (order.amount > 5000) {
        return {status: "rejected", reason: "more than 5000 EUR needs a manual check"};
    }
    return {status: "approved", reason: "within the limits"};
}
// [/decide]
