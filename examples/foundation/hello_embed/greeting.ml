// Greet everyone the host passed in as `names`; the result is how many were greeted.
if (len(names) == 0) {
    throw {message: "nobody to greet", code: "EMPTY"};
}
for (name in names) {
    print("Hello, " + name + "!");
}
result = len(names);
