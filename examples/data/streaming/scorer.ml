// Scores one chunk of readings; the host calls it chunk by chunk, report.ml imports it.
// [score-chunk]
function score_chunk(rows, limit) {
    out = [];
    for (row in rows) {
        out.append({id: row.id, status: row.value > limit ? "alert" : "ok"});
    }
    return out;
}
// [/score-chunk]
