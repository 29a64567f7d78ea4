// The setup of every pooled session: the report function. The host calls it under the
// request's grants and hands it `sales`, a host function that needs "sales.read".

function report(region, sales) {
    rows = sales(region);
    total = 0;
    for (row in rows) {
        total = total + row.amount;
    }
    return {"region": region, "orders": len(rows), "total": total};
}
