// Globex's lead score: only visits count; at most 50.
result = min(lead.visits, 50);
