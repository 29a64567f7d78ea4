// Building a string one character at a time with `s = s + "x"`.
// Input: n (the length of the string to build).
function build(n) {
    s = "";
    i = 0;
    while (i < n) {
        s = s + "x";
        i = i + 1;
    }
    return s;
}

result = len(build(n));
