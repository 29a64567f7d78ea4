// Fraud screening rules: the service (app.py) scores an order with risk() on its
// AsyncEngine, then calls needs_review() with the score, as a callback.
function risk(order) {
    score = 0;
    if (order.total > 1000) {
        score = score + 40;
    }
    if (order.country != order.card_country) {
        score = score + 30;
    }
    if (order.first_order) {
        score = score + 20;
    }
    return score;
}

function needs_review(order, score) {
    return score >= 50 || (order.total > 5000 && score >= 20);
}
