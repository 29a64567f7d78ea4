// Converts an amount with the host's exchange rates: the script that works.
result = round(amount * rate(currency), 2);
