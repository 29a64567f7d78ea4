// Watches one stream of temperature readings. The host keeps one session per websocket
// connection, so `recent` lives as long as the connection, and calls
// on_reading(reading) with reading = {sensor: string, celsius: number} for each message.

recent = [];  // the last three readings of this connection

function on_reading(reading) {
    if (typeof(reading.celsius) != "number") {
        throw {message: "celsius must be a number"};
    }
    recent.append(reading.celsius);
    if (len(recent) > 3) {
        recent.pop(0);
    }
    average = sum(recent) / len(recent);
    level = average >= 80 ? "alarm" : average >= 60 ? "warning" : "ok";
    return {sensor: reading.sensor, average: round(average, 1), level: level};
}
