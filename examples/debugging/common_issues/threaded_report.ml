// Reads a report through a host function gated by reports.read: the grant of the request.
result = load_report("daily");
