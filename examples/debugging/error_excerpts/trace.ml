// Print debugging: print() needs no grant, console.debug needs console.write.
// [trace]
import console;

function discount(total, tier) {
    print("discount: total", total, "tier", tier);
    rate = tier == "gold" ? 0.1 : 0;
    console.debug("rate", rate);
    return total * rate;
}
result = 200 - discount(200, "gold");
// [/trace]
