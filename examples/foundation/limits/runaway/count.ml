// Counts for ever: stopped by the step limit (max_steps=), the same way on any machine.
n = 0;
while (true) {
    n = n + 1;
}
