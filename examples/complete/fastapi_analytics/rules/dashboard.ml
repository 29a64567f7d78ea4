// The dashboard of one tenant. The host calls dashboard(summaries, anomaly_counts, series,
// forecast) with the metrics of calculate_metrics, the number of anomalies per metric, the
// values per metric in time order, and the host function forecast(values), which needs
// the capability analytics.forecast: only the "pro" plan holds it.

// [dashboard]
function dashboard(summaries, anomaly_counts, series, forecast) {
    may_forecast = hasCapability("analytics.forecast");
    cards = [];
    alerts = 0;
    for (name in keys(summaries)) {
        found = anomaly_counts[name];
        card = {metric: name, latest: summaries[name].latest, mean: summaries[name].mean,
                count: summaries[name].count, anomalies: found,
                status: found > 0 ? "alert" : "ok"};
        if (may_forecast) {
            card.forecast = forecast(series[name]);
        }
        if (found > 0) {
            alerts = alerts + 1;
        }
        cards.append(card);
    }
    return {status: alerts > 0 ? "alert" : "ok", alerts: alerts, cards: cards,
            features: getCapabilities()};
}
// [/dashboard]
