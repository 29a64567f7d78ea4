// Print the total of each order, then how many orders were priced.
import shop.pricing;
import shop.money;

orders = [
    {tier: "gold", items: [{price: 12.5, qty: 4}]},
    {tier: "basic", items: [{price: 9.99, qty: 2}]}
];
for (order in orders) {
    print(order.tier + ": " + shop.money.show(shop.pricing.total(order)));
}
print("orders priced: " + str(shop.pricing.priced));
