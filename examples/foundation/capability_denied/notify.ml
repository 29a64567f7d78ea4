// Tell a customer that their order shipped. What this may do is the host's decision:
// sending needs `email.send` (a host function), logging needs `console.write`.
import console;

function notify(customer) {
    send_email(customer.email, "Your order has shipped");
    try {
        console.log("notified " + customer.name);
    } except (e) {
        if (e.type != "CapabilityError") {
            throw e;
        }
        // logging is optional: without console.write the notification still counts
    }
    return "sent";
}

result = notify(customer);
