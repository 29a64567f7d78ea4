// Initech's pricing rules, with a bug: the loop never ends. The service's time limit stops
// it, and every other tenant is served as before.

subtotal = 0;
i = 0;
while (i < len(order.items)) {
    subtotal = subtotal + order.items[i].price;
}
result = {currency: order.currency, total: subtotal};
