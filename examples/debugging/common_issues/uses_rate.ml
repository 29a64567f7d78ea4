// Converts a price with the host's exchange rate, handed in as `rate`.
result = round(100 * rate("USD"), 2);
