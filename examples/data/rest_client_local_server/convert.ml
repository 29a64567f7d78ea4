// Converts invoice lines to euros with rates the host fetches from the rates API.
// [convert]
total = 0;
skipped = [];
for (line in lines) {
    try {
        rate = get_rate(line.currency);
        total = total + line.amount * rate;
    } except (e) {
        skipped.append(line.currency + ": " + e.message);
    }
}
result = {total_eur: total, skipped: skipped};
// [/convert]
