// Never ends: stopped by the time limit (timeout=).
while (true) { }
