// Splits bills between people; one bill has nobody to pay it.
// [bill]
function share(bill) {
    return bill.total / bill.people;
}
function split(bills) {
    return apply_all(share, bills);
}
result = split([{total: 30, people: 3}, {total: 10, people: 0}]);
// [/bill]
