// Objects: make n order records, then total them by region with member reads and writes.
// Input: n (the number of orders).
import json;

function make_orders(n) {
    orders = [];
    x = 7;
    for (i in range(n)) {
        x = (x * 1103515245 + 12345) % 2147483648;
        orders.append({"id": i, "region": "r" + str(x % 20), "amount": x % 1000});
    }
    return orders;
}

function summarize(orders) {
    regions = {};
    for (order in orders) {
        stats = json.get(regions, order.region, null);
        if (stats == null) {
            stats = {"count": 0, "total": 0, "largest": 0};
            regions[order.region] = stats;
        }
        stats.count = stats.count + 1;
        stats.total = stats.total + order.amount;
        if (order.amount > stats.largest) {
            stats.largest = order.amount;
        }
    }
    return regions;
}

regions = summarize(make_orders(n));
result = [len(regions), regions.r7.count, regions.r7.total, regions.r7.largest];
