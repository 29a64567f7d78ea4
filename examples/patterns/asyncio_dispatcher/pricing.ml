// Prices one order line. The host calls `price` as a callback; a line that cannot be
// priced is thrown back to it as a problem with a code.

function price(line) {
    if (line.qty <= 0) {
        throw {"code": "BAD_QTY", "message": "the quantity must be positive"};
    }
    total = line.qty * line.unit_price;
    if (total >= 100) {
        total = total * 0.9;  // ten percent off from 100 up
    }
    return round(total, 2);
}
