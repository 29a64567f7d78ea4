// Tries to swallow a limit: `except` does not catch it, and the `return` in `finally`
// does not resume the program: it has no more effects, so "still going" is never printed.
function work() {
    try {
        while (true) { }
    } except (e) {
        return "caught";
    } finally {
        return "resumed";
    }
}
work();
print("still going");
