// A discount rule: the percentage off one order. The editor runs it once per record, with
// the record in the variable `record`; the value it leaves in `result` is the rule's answer.
// [rule]
discount = 0;
if (record.amount >= 100) {
    discount = 5;
}
if (record.country == "DE") {
    discount = discount + 2;
}
result = discount;
// [/rule]
