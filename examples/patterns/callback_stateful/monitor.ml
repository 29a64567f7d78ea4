// Watches one stream of sensor readings. The state -- how many readings, their running
// mean -- lives in this session's top-level variables and persists between calls.
// The host passes `tolerance`: how far from the mean a reading may be.

count = 0;
mean = 0.0;

// [record]
function record(reading) {
    nonlocal count, mean;
    distance = abs(reading - mean);  // a reading that is no number fails here, changing nothing
    anomaly = count >= 5 && distance > tolerance;
    count = count + 1;
    mean = mean + (reading - mean) / count;
    return anomaly;
}
// [/record]

function summary() {
    return {"count": count, "mean": round(mean, 2)};
}
