// A `for` loop over `range`: n iterations of integer arithmetic on the loop variable.
// Input: n.
function squares(n) {
    s = 0;
    for (i in range(n)) {
        s = s + i * i % 7;
    }
    return s;
}

result = squares(n);
