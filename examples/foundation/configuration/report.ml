// The day's takings, one line per shop. The module directory (lib/) and the grant to
// print (console.write) come from mlpy.toml.
import units;
import console;

takings = [{shop: "north", cents: 12550}, {shop: "south", cents: 9905}];
for (day in takings) {
    console.log(day.shop + ": " + units.euros(day.cents));
}
