// Building text: one line per item from several values, the lines joined at the end.
// Input: n (the number of lines).
function render(n) {
    lines = [];
    for (i in range(n)) {
        label = "item-" + str(i);
        lines.append(label + ": " + str(i * 3 % 17) + " units, " + label.upper());
    }
    return "\n".join(lines);
}

text = render(n);
result = [len(text), text[0:40]];
