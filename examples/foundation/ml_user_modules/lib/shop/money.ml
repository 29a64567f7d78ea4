// Money amounts: rounding to cents and display.

function cents(amount) {
    return round(amount * 100) / 100;
}

function show(amount) {
    return format(cents(amount), ".2f") + " EUR";
}
