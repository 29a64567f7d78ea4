// Keeps every row it makes: stopped by the memory budget (max_memory=).
rows = [];
while (true) {
    rows.append([1, 2, 3, 4, 5, 6, 7, 8]);
}
