// Statistics of a window of events. The host calls calculate_metrics(events) with the
// events of one tenant inside the window, [{metric, value, timestamp}, ...], and gets one
// summary per metric name: {count, sum, mean, min, max, stddev, p50, p95, latest}.

import math;

// [metrics]
function percentile(ordered, q) {
    // nearest rank: the smallest value with at least q of the values at or below it
    rank = math.ceil(q * len(ordered));
    return ordered[max(rank - 1, 0)];
}

function summarize(values, latest) {
    n = len(values);
    mean = sum(values) / n;
    squares = 0;
    for (value in values) {
        squares = squares + (value - mean) * (value - mean);
    }
    ordered = sorted(values);
    return {count: n, sum: sum(values), mean: round(mean, 3), min: ordered[0],
            max: ordered[n - 1], stddev: round(math.sqrt(squares / n), 3),
            p50: percentile(ordered, 0.5), p95: percentile(ordered, 0.95), latest: latest};
}

function calculate_metrics(events) {
    values = {};
    latest = {};
    for (event in events) {
        if (!hasattr(values, event.metric)) {
            values[event.metric] = [];
        }
        values[event.metric].append(event.value);
        latest[event.metric] = event.value;  // the host passes them in time order
    }
    summaries = {};
    for (name in keys(values)) {
        summaries[name] = summarize(values[name], latest[name]);
    }
    return summaries;
}
// [/metrics]
