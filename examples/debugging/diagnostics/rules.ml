// A rule with three findings: a misspelled name, a shadowed builtin and a chained comparison.
// [rules]
import console;

function max(a, b) {
    return a > b ? a : b;
}

function band(total) {
    return 0 < total < 100 ? "small" : "large";
}

console.log("band", band(order.total), max(order.total, 10));
result = band(ordr.total);
// [/rules]
