// Ranks products; one helper is quadratic, and the profile shows which.
// [slow]
function position(sorted_ids, id) {
    i = 0;
    for (candidate in sorted_ids) {      // a linear scan for every product
        if (candidate == id) {
            return i;
        }
        i = i + 1;
    }
    return -1;
}

function rank(products) {
    ids = [];
    for (p in products) {
        ids.append(p.id);
    }
    ids.sort();
    ranks = {};
    for (p in products) {
        ranks[str(p.id)] = position(ids, p.id);
    }
    return ranks;
}

function catalogue(n) {
    products = [];
    for (i in range(n)) {
        products.append({id: (i * 7919) % n, name: "p" + i});
    }
    return products;
}

ranked = rank(catalogue(1500));
print("ranked", len(ranked), "products");
// [/slow]
