// Fix: the loop variable is the element itself.
// [element]
total = 0;
for (price in prices) {
    total = total + price;
}
result = total;
// [/element]
