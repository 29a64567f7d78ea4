// Support-ticket triage and SLA report (~7 KB): parsing text records, validation,
// scoring rules, grouping, sorting, statistics and report building.
SEVERITY = {critical: 4, high: 3, normal: 2, low: 1};
SLA_HOURS = {critical: 4, high: 24, normal: 72, low: 168};
TEAMS = ["billing", "platform", "mobile", "web"];

raw = "T-1001;billing;critical;2;Customer cannot pay invoice;open
T-1002;platform;high;30;API latency above threshold;open
T-1003;mobile;normal;50;Crash on login screen;closed
T-1004;web;low;200;Typo on pricing page;open
T-1005;billing;high;10;Refund not processed;open
T-1006;platform;critical;6;Database failover failed;closed
T-1007;web;normal;80;Broken link in footer;open
T-1008;mobile;high;12;Push notifications delayed;open
T-1009;billing;normal;100;Wrong currency symbol;closed
T-1010;platform;low;5;Update dependency versions;open
T-1011;web;critical;1;Checkout page returns 500;open
T-1012;mobile;low;300;Icon slightly blurry;open";

function trim_all(parts) {
    out = [];
    for (p in parts) {
        out.append(p.strip());
    }
    return out;
}

function parse_ticket(line, number) {
    fields = trim_all(line.split(";"));
    if (len(fields) != 6) {
        throw {message: "line " + number + ": expected 6 fields, got " + len(fields), line: number};
    }
    return {
        id: fields[0],
        team: fields[1],
        severity: fields[2],
        age: int(fields[3]),
        title: fields[4],
        status: fields[5]
    };
}

function parse_all(text) {
    tickets = [];
    errors = [];
    number = 0;
    for (line in text.split("\n")) {
        number = number + 1;
        if (len(line.strip()) == 0) {
            continue;
        }
        try {
            tickets.append(parse_ticket(line, number));
        } except (e) {
            errors.append(e.message);
        }
    }
    return {tickets: tickets, errors: errors};
}

function validate(ticket) {
    problems = [];
    if (TEAMS.count(ticket.team) == 0) {
        problems.append("unknown team " + ticket.team);
    }
    if (keys(SEVERITY).count(ticket.severity) == 0) {
        problems.append("unknown severity " + ticket.severity);
    }
    if (ticket.age < 0) {
        problems.append("negative age");
    }
    if (ticket.status != "open" && ticket.status != "closed") {
        problems.append("bad status " + ticket.status);
    }
    return problems;
}

function sla_left(ticket) {
    return SLA_HOURS[ticket.severity] - ticket.age;
}

function priority(ticket) {
    score = SEVERITY[ticket.severity] * 100;
    left = sla_left(ticket);
    if (left < 0) {
        score = score + 50 + min(-left, 100);
    } elif (left < 4) {
        score = score + 25;
    }
    if (ticket.title.lower().find("payment") >= 0 || ticket.title.lower().find("checkout") >= 0) {
        score = score + 30;
    }
    return score;
}

function insertion_sort(items, key) {
    result = [];
    for (item in items) {
        k = key(item);
        i = 0;
        while (i < len(result) && key(result[i]) >= k) {
            i = i + 1;
        }
        result.insert(i, item);
    }
    return result;
}

function group_by(items, field) {
    groups = {};
    for (item in items) {
        name = item[field];
        if (keys(groups).count(name) == 0) {
            groups[name] = [];
        }
        groups[name].append(item);
    }
    return groups;
}

function mean(values) {
    if (len(values) == 0) {
        return 0;
    }
    return sum(values) / len(values);
}

function median(values) {
    ordered = sorted(values);
    count = len(ordered);
    if (count == 0) {
        return 0;
    }
    middle = count // 2;
    if (count % 2 == 1) {
        return ordered[middle];
    }
    return (ordered[middle - 1] + ordered[middle]) / 2;
}

function ages(tickets) {
    out = [];
    for (t in tickets) {
        out.append(t.age);
    }
    return out;
}

function team_stats(tickets) {
    stats = [];
    groups = group_by(tickets, "team");
    for (team in TEAMS) {
        members = [];
        if (keys(groups).count(team) > 0) {
            members = groups[team];
        }
        open = 0;
        breached = 0;
        for (t in members) {
            if (t.status == "open") {
                open = open + 1;
                if (sla_left(t) < 0) {
                    breached = breached + 1;
                }
            }
        }
        stats.append({
            team: team,
            total: len(members),
            open: open,
            breached: breached,
            mean_age: mean(ages(members)),
            median_age: median(ages(members))
        });
    }
    return stats;
}

function rjust(text, width) {
    text = str(text);
    while (len(text) < width) {
        text = " " + text;
    }
    return text;
}

function ljust(text, width) {
    text = str(text);
    while (len(text) < width) {
        text = text + " ";
    }
    return text;
}

function bar(value, maximum, width) {
    if (maximum == 0) {
        return "";
    }
    filled = int(value * width / maximum);
    return "#" * filled + "." * (width - filled);
}

function render_queue(tickets) {
    lines = ["Open tickets by priority", "========================"];
    open_tickets = [];
    for (t in tickets) {
        if (t.status == "open") {
            open_tickets.append(t);
        }
    }
    ranked = insertion_sort(open_tickets, fn(t) => priority(t));
    rank = 0;
    for (t in ranked) {
        rank = rank + 1;
        left = sla_left(t);
        state = left < 0 ? "BREACHED by " + (-left) + "h" : left + "h left";
        lines.append(rjust(rank, 2) + ". " + ljust(t.id, 7) + ljust(t.team, 9)
            + ljust(t.severity, 9) + rjust(priority(t), 4) + "  " + ljust(state, 18) + t.title);
    }
    return lines;
}

function render_teams(stats) {
    lines = ["", "Teams", "====="];
    biggest = 0;
    for (s in stats) {
        biggest = max(biggest, s.total);
    }
    for (s in stats) {
        lines.append(ljust(s.team, 9) + rjust(s.total, 3) + " total " + rjust(s.open, 3)
            + " open " + rjust(s.breached, 3) + " breached  mean age "
            + format(s.mean_age, "6.1f") + "h  median " + format(s.median_age, "6.1f")
            + "h  " + bar(s.total, biggest, 10));
    }
    return lines;
}

function build_report(text) {
    parsed = parse_all(text);
    valid = [];
    warnings = [];
    for (t in parsed.tickets) {
        problems = validate(t);
        if (len(problems) == 0) {
            valid.append(t);
        } else {
            warnings.append(t.id + ": " + ", ".join(problems));
        }
    }
    lines = render_queue(valid) + render_teams(team_stats(valid));
    if (len(warnings) + len(parsed.errors) > 0) {
        lines.append("");
        lines.append("Problems");
        for (w in warnings + parsed.errors) {
            lines.append("  - " + w);
        }
    }
    summary = {tickets: len(valid), rejected: len(warnings) + len(parsed.errors)};
    return {text: "\n".join(lines), summary: summary};
}

report = build_report(raw);
result = report.text;
