// Acme's lead score: visits count double, a demo request adds 30; at most 100.
score = lead.visits * 2 + (lead.requested_demo ? 30 : 0);
result = min(score, 100);
