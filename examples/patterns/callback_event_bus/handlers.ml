// Event handlers of the shop's notification plug-in. Each `on_<event>` function handles
// one event of the shop's bus; `send(channel, text)` is the one thing the host lets it do.

// [handlers]
function on_order_placed(order) {
    if (order.total >= 500) {
        send("sales", "large order " + order.id + ": " + str(order.total) + " EUR");
    }
    return "ok";
}

function on_payment_failed(payment) {
    send("support", "payment of order " + payment.order + " failed: " + payment.reason);
    return "ok";
}

function on_refund_requested(refund) {
    // Written for an older event format, whose refunds named their customer.
    if (refund.customer.tier == "gold") { return "approve"; }
    return "review";
}
// [/handlers]
