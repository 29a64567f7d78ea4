// The business rules of an order file. The host passes `input_path` (the one file this run
// may read), `input_format` ("csv" or "json"), `output_path` (where accepted records go).
import csv;
import json;
import file;

// [rules]
// Why a record is refused, or null when it is fine. CSV gives every field as text, JSON
// gives numbers: float() and str() make both look the same to the rules; json.get
// reads a field that may be missing.
function problem(order) {
    if (str(json.get(order, "id", "")) == "") { return "no id"; }
    if (str(json.get(order, "customer", "")) == "") { return "no customer"; }
    amount = float(json.get(order, "amount", 0));
    if (amount <= 0) { return "amount must be positive"; }
    if (amount > 10000) { return "amount over the 10,000 limit"; }
    return null;
}
// [/rules]

// [run]
records = input_format == "csv" ? csv.read(input_path) : json.parse(file.read(input_path));
accepted = [];
rejected = [];
for (order in records) {
    reason = problem(order);
    if (reason == null) {
        accepted.append(order);
    } else {
        rejected.append({id: str(json.get(order, "id", "?")), reason: reason});
    }
}
file.write(output_path, json.prettyPrint(accepted, 2));
result = {accepted: len(accepted), rejected: rejected};
// [/run]
