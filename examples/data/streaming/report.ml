// Scores every reading, handing each scored chunk to the host as soon as it is ready.
// [report]
import scorer;

alerts = 0;
for (start in range(0, len(rows), size)) {
    chunk = scorer.score_chunk(rows[start:start + size], limit);
    for (item in chunk) {
        if (item.status == "alert") {
            alerts = alerts + 1;
        }
    }
    emit({first: start, scored: chunk});
}
result = alerts;
// [/report]
