// Checks one imported contact. The host calls check(contact) with
// contact = {email, customer_id}, and the host function `customer_exists(id)`, which needs
// the capability crm.read; the answer lists what is wrong with the contact.

function check(contact, customer_exists) {
    problems = [];
    if (typeof(contact.email) != "string" || contact.email.find("@") < 1) {
        problems.append("email is not an address");
    }
    if (!customer_exists(contact.customer_id)) {
        problems.append("no customer " + str(contact.customer_id));
    }
    return problems;
}
