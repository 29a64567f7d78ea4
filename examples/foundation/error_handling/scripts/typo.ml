// Two mistakes the compiler finds before anything runs: both are reported at once.
converted = amount * rate(curency);
result = round(convertd, 2);
