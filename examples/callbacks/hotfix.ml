// A fix the plug-in's author ships while the help desk runs: "down" in a subject means an
// outage too.
function on_open(ticket) {
    nonlocal opened;
    opened = opened + 1;
    tags = [];
    if (is_vip(ticket.customer)) { tags.append("vip"); }
    subject = ticket.subject.lower();
    if (subject.find("outage") >= 0 || subject.find("down") >= 0) { tags.append("outage"); }
    return tags;
}
