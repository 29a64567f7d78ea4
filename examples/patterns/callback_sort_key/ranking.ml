// How the shop ranks its catalogue: written by the merchandising team, not by developers.
// `relevance` scores one product; the higher the score, the earlier the product is shown.

// [relevance]
function relevance(product) {
    score = product.rating * 20 - product.price / 10;
    if (product.stock == 0) { score = score - 100; }  // sold out goes to the end
    if (product.promoted) { score = score + 15; }
    return score;
}
// [/relevance]

function in_stock(product) {
    return product.stock > 0;
}
