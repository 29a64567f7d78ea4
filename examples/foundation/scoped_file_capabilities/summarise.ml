// Total the sales of each region: read data_dir/sales.csv, write out_dir/summary.csv.
// The host passes both directories in; its grants decide what may be read and written.
import csv;
import json;

totals = {};
for (row in csv.read(data_dir + "/sales.csv")) {
    totals[row.region] = json.get(totals, row.region, 0) + float(row.amount);
}
rows = [];
for (region in sorted(keys(totals))) {
    rows.append({region: region, total: round(totals[region], 2)});
}
csv.write(out_dir + "/summary.csv", rows);
result = len(rows);
