// A help-desk plug-in. The host calls these functions as it handles tickets:
//   on_open(ticket)   when a ticket arrives: the tags to add
//   on_close(ticket)  when one is closed: a line for the log
//   urgency(ticket)   the sort key of the queue (most urgent first: lowest)
//   visible(ticket)   whether the queue shows the ticket
//   preview(ticket)   the first line of the ticket's attachment
import file;

opened = 0;

function is_vip(customer) {
    // Read at every call: the list changes while the desk runs. The host grants reading it.
    return file.readLines(data_dir + "/vip.txt").count(customer) > 0;
}

function on_open(ticket) {
    nonlocal opened;
    opened = opened + 1;
    tags = [];
    if (is_vip(ticket.customer)) { tags.append("vip"); }
    if (ticket.subject.lower().find("outage") >= 0) { tags.append("outage"); }
    return tags;
}

function on_close(ticket) {
    return "#" + str(ticket.id) + " closed after " + str(ticket.hours) + " h";
}

function urgency(ticket) {
    score = 100 - ticket.hours;
    if (is_vip(ticket.customer)) { score = score - 50; }
    return score;
}

function visible(ticket) {
    return ticket.status != "spam";
}

function preview(ticket) {
    // The customer names the attachment: only the host's grants for this customer decide
    // what may be read.
    return file.readLines(data_dir + "/" + ticket.attachment)[0];
}
