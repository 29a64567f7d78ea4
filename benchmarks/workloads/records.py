# Python twin of records.ml.
# Input: n (bound by benchmarks/run.py).


def make_orders(n):
    orders = []
    x = 7
    for i in range(n):
        x = (x * 1103515245 + 12345) % 2147483648
        orders.append({"id": i, "region": "r" + str(x % 20), "amount": x % 1000})
    return orders


def summarize(orders):
    regions = {}
    for order in orders:
        stats = regions.get(order["region"], None)
        if stats is None:
            stats = {"count": 0, "total": 0, "largest": 0}
            regions[order["region"]] = stats
        stats["count"] = stats["count"] + 1
        stats["total"] = stats["total"] + order["amount"]
        if order["amount"] > stats["largest"]:
            stats["largest"] = order["amount"]
    return regions


regions = summarize(make_orders(n))  # noqa: F821
result = [len(regions), regions["r7"]["count"], regions["r7"]["total"], regions["r7"]["largest"]]
