// The total of an invoice. The host calls total(invoice) with
// invoice = {country, lines: [{amount}, ...]}; the host function tax_rate(country) it
// passes needs the capability tax.read.

function total(invoice, tax_rate) {
    net = 0;
    for (line in invoice.lines) {
        if (line.amount < 0) {
            throw {message: "an invoice line cannot be negative"};
        }
        net = net + line.amount;
    }
    return {net: net, gross: round(net * (1 + tax_rate(invoice.country)), 2)};
}
