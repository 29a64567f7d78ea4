// Runs for ever: a limit ends it.
while (true) { }
