// A business error the script raises itself, with data the host can act on.
if (amount < 0) {
    throw {message: "amount must not be negative", code: "NEGATIVE_AMOUNT", amount: amount};
}
result = amount * rate(currency);
