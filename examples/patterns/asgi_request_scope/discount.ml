// The discount of one customer. `loyalty_points` is a host function that needs the
// capability "loyalty.read": only requests whose token grants it can run this rule.

points = loyalty_points(customer);
if (points >= 1000) {
    result = 15;
} elif (points >= 100) {
    result = 5;
} else {
    result = 0;
}
