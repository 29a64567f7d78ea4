// A large first order from a new customer needs a person to look at it. The order
// history comes from the host function `past_orders`, which needs `orders.read`.
function check(order, customer) {
    if (len(past_orders(customer.id)) == 0 && order.total > 500) {
        return {decision: "review", reason: "large first order"};
    }
    return null;
}
