// An arithmetic while loop: n iterations of integer arithmetic on local variables.
// Input: n.
function loop(n) {
    i = 0;
    total = 0;
    while (i < n) {
        total = (total + i * 7 + 3) % 1000003;
        i = i + 1;
    }
    return total;
}

result = loop(n);
