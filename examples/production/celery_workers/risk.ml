// Order risk rules, run by the Celery workers of app.py.
// The limit comes from the worker's environment, which the rules may read only under
// the grant env.read:RISK_* that the producer sends with each task.
import env;

// [check]
function check(order) {
    limit = env.get_float("RISK_LIMIT", 500.0);
    reasons = [];
    if (order.total > limit) { reasons.append("total over " + str(limit)); }
    if (order.country != order.card_country) { reasons.append("card from another country"); }
    if (len(order.items) == 0) { reasons.append("no items"); }
    return {order: order.id, flagged: len(reasons) > 0, reasons: reasons};
}
// [/check]
