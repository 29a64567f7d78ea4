// A tenant's daily report: the total of the amounts in its ledger, one amount a line.
// The host passes `path`; reading it needs a `file.read` grant that covers the file.
import file;

total = 0;
for (line in file.readLines(path)) {
    if (line != "") {
        total = total + float(line);
    }
}
result = round(total, 2);
