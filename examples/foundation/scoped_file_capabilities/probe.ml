// What a hostile or careless script might try. Each attempt is refused with a
// CapabilityError, which ML code can catch; the host's grants never change.
import file;

attempts = [
    ["read a file outside data/", fn() => file.read(data_dir + "/../app.py")],
    ["read the denied private/ folder", fn() => file.read(data_dir + "/private/salaries.csv")],
    ["write a file that is not a .csv", fn() => file.write(out_dir + "/notes.txt", "hi")],
    ["write into data/", fn() => file.write(data_dir + "/sales.csv", "")]
];
for (attempt in attempts) {
    try {
        attempt[1]();
        print(attempt[0] + ": allowed");
    } except (e) {
        print(attempt[0] + ": " + e.type);
    }
}
