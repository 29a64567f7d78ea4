// Reads orders from the inbox, checks each row, writes accepted and rejected rows to the outbox.
// [pipeline]
import csv;

accepted = [];
rejected = [];
for (row in csv.read(inbox + "/orders.csv")) {
    qty = int(row.qty);
    if (row.customer == "" || qty <= 0) {
        reason = row.customer == "" ? "no customer" : "bad qty";
        rejected.append({order_id: row.order_id, reason: reason});
        continue;
    }
    total = qty * float(row.unit_price);
    accepted.append({order_id: row.order_id, customer: row.customer, total: total});
}
csv.write(outbox + "/accepted.csv", accepted);
csv.write(outbox + "/rejected.csv", rejected);
result = {accepted: len(accepted), rejected: len(rejected)};
// [/pipeline]
