// adds things up
function add(a, b) {
    c = a + b;
    return c;
}

total = 0;
for (i in range(3)) {
    total = total + add(i, 1);
}
result = total;
