// An order above the customer's credit limit needs a person to look at it.
function check(order, customer) {
    if (order.total > customer.credit_limit) {
        return {decision: "review", reason: "total " + str(order.total)
                + " is above the credit limit " + str(customer.credit_limit)};
    }
    return null;
}
