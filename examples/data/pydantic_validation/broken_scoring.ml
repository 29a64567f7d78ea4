// A rule with a mistake: score is text and reasons is missing; the host's model refuses it.
result = {approved: "yes", score: "high"};
