// Prints for ever: stopped by the output limit (max_output=); what fits is kept.
while (true) {
    print("still here");
}
