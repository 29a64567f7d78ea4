// Reads orders from the inbox, checks each row, writes accepted and rejected rows to the outbox.
// [pipeline]
import csv;

accepted = [];
rejected = [];
for (row in csv.read(inbox + "/orders.csv")) {
    qty = int(row.qty);
    if (row.customer == "" || qty <= 0) {
        rejected.append({order_id: row.order_id, reason: row.customer == "" ? "no customer" : "bad qty"});
        continue;
    }
    accepted.append({order_id: row.order_id, customer: row.customer, total: qty * float(row.unit_price)});
}
csv.write(outbox + "/accepted.csv", accepted);
csv.write(outbox + "/rejected.csv", rejected);
result = {accepted: len(accepted), rejected: len(rejected)};
// [/pipeline]
