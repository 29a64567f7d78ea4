// A sales report of one region. The host passes `region` and the host function
// `sales(region)`, which needs the capability sales.read, and reads `result`.

rows = sales(region);
total = 0;
largest = null;
for (row in rows) {
    total = total + row.amount;
    if (largest == null || row.amount > largest.amount) {
        largest = row;
    }
}
result = {region: region, orders: len(rows), total: total,
          largest: largest == null ? null : largest.order};
