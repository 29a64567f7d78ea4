// The loyalty rule as it is stored in the database (app.py loads this file into the rules table).
// [loyalty]
orders = customer_orders(customer_id);
spent = 0;
for (order in orders) {
    spent = spent + order.amount;
}
tier = spent >= 500 ? "gold" : spent >= 100 ? "silver" : "basic";
result = {tier: tier, spent: spent, orders: len(orders)};
// [/loyalty]
