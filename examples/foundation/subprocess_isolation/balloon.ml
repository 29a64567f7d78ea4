// Allocates without end and sets no memory budget of its own: in a worker process the
// operating system's address-space limit stops it, not the host's memory.
rows = [];
while (true) {
    rows.append([0] * 1000000);
}
