// Totals a long ledger, one row at a time, and tells the host how far it got.
// The host passes `rows` (how many) and `progress`, a host function it calls per row.
total = 0;
row = 0;
while (row < rows) {
    total = total + row % 7;
    progress(row);
    row = row + 1;
}
result = total;
