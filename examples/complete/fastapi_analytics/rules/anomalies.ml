// Anomalies of one metric's series. The host calls detect_anomalies(points, threshold)
// with points = [{timestamp, value}, ...] in time order and gets the points whose z-score
// (distance from the mean in standard deviations) is at least `threshold`, as
// [{timestamp, value, z, direction: "high" | "low"}, ...].

import math;

// [anomalies]
MIN_POINTS = 8;  // fewer points say nothing about what is normal

function detect_anomalies(points, threshold) {
    if (len(points) < MIN_POINTS) {
        return [];
    }
    total = 0;
    for (point in points) {
        total = total + point.value;
    }
    mean = total / len(points);
    squares = 0;
    for (point in points) {
        squares = squares + (point.value - mean) * (point.value - mean);
    }
    stddev = math.sqrt(squares / len(points));
    if (stddev == 0) {
        return [];  // a flat series has no outliers
    }
    found = [];
    for (point in points) {
        z = (point.value - mean) / stddev;
        if (abs(z) >= threshold) {
            found.append({timestamp: point.timestamp, value: point.value, z: round(z, 2),
                          direction: z > 0 ? "high" : "low"});
        }
    }
    return found;
}
// [/anomalies]
