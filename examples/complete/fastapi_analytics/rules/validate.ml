// The business rules of one incoming event. The host calls process_event(event, now) with
// event = {metric, value, timestamp (Unix seconds), tags: {name: text}} (pydantic has
// already checked the types) and now = the server's clock in Unix seconds. The answer is
// {accepted: true, event: <normalized>} or {accepted: false, problems: [text, ...]}.

// [validate]
MAX_TAGS = 8;
MAX_SKEW = 300;          // seconds an event may be ahead of the server's clock
LIMIT = 1000000000000;   // beyond this a value is a unit mistake, not a measurement

function validate(event, now) {
    problems = [];
    name = event.metric;
    if (len(name) == 0 || len(name) > 64) {
        problems.append("metric must be 1 to 64 characters");
    } elif (name != name.lower() || name.find(" ") >= 0 || !name[0].isalpha()) {
        problems.append("metric must be lower case, start with a letter, without spaces");
    }
    if (abs(event.value) > LIMIT) {
        problems.append("value " + str(event.value) + " is out of range");
    }
    if (name.endswith(".count") && (event.value < 0 || event.value != int(event.value))) {
        problems.append("a .count metric takes whole numbers from 0");
    }
    if (event.timestamp > now + MAX_SKEW) {
        problems.append("timestamp is in the future");
    }
    if (len(event.tags) > MAX_TAGS) {
        problems.append("at most " + str(MAX_TAGS) + " tags");
    }
    return problems;
}

function process_event(event, now) {
    problems = validate(event, now);
    if (len(problems) > 0) {
        return {accepted: false, problems: problems};
    }
    return {accepted: true, event: {metric: event.metric, value: float(event.value),
                                    timestamp: event.timestamp, tags: event.tags}};
}
// [/validate]
