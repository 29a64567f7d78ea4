function greet(name) {
    return "Hello, " + name + "!";
}

for (name in ["Ada", "Grace"]) {
    print(greet(name));
}
