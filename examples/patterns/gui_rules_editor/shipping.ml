// The rule the editor opens with: the shipping fee of an order. The editor runs the rule
// being edited against sample orders; `order` is each sample in turn.

if (order.total >= 50) {
    result = 0;
} elif (order.country == "DE") {
    result = 4.9;
} else {
    result = 9.9;
}
