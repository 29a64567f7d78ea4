// Compound interest, year by year. Inputs: principal, rate (percent a year), years,
// per_year (compoundings a year) and progress, a host function the window passes in to
// move its progress bar. The value is the balance at the end of each year.
// [interest]
if (years < 1 || per_year < 1) {
    throw "years and compoundings a year must be at least 1";
}
balance = principal;
balances = [];
year = 1;
while (year <= years) {
    period = 0;
    while (period < per_year) {
        balance = balance + balance * rate / 100 / per_year;
        period = period + 1;
    }
    balances = balances + [round(balance, 2)];
    progress(year, years);
    year = year + 1;
}
result = balances;
// [/interest]
