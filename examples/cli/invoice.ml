// The total of an invoice: `items` (each with a price and a quantity) and a `discount`
// in percent come from the host, from --var or --vars-file.
function line_total(item) {
    return item.price * item.qty;
}

subtotal = 0;
for (item in items) {
    subtotal = subtotal + line_total(item);
}
result = subtotal * (100 - discount) / 100;
print("total:", result);
