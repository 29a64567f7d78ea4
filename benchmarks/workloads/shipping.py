# Python twin of shipping.ml: the same rule as a plain Python function.


def score(order):
    if order["total"] >= 100 and order["country"] == "US":
        return 0
    fee = 4.99
    if order["weight"] > 5:
        fee = fee + (order["weight"] - 5) * 1.25
    if order["country"] != "US":
        fee = fee + 12
    if order["express"]:
        fee = fee * 2
    return fee
