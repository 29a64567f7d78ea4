// The same ranking, with the position of every id looked up once in an object.
// [fast]
function rank(products) {
    ids = [];
    for (p in products) {
        ids.append(p.id);
    }
    ids.sort();
    positions = {};
    for (pair in enumerate(ids)) {       // one pass: id -> its position
        positions[str(pair[1])] = pair[0];
    }
    ranks = {};
    for (p in products) {
        ranks[str(p.id)] = positions[str(p.id)];
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
// [/fast]
