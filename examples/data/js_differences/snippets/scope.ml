// Assigning inside a function makes a local variable; `nonlocal` assigns the outer one.
total = 1;
function reset() {
    total = 0;
}
reset();
print(total);
//> 1
function clear() {
    nonlocal total;
    total = 0;
}
clear();
print(total);
//> 0
// A closure keeps the variable, and a loop has one variable for every iteration
// (JavaScript's `let` makes a new one each time).
getters = [];
for (i in range(3)) {
    getters.append(fn() => i);
}
print(getters[0](), getters[2]());
//> 2 2
// Declarations are plain assignments: there is no let, const or var.
