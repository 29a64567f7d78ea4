// Amounts as people read them; shared by report.ml and the application.
function euros(cents) {
    return "%.2f EUR" % (cents / 100);
}
