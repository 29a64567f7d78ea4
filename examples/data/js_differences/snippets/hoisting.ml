// Nothing is hoisted: a function exists once its `function` statement has run.
greet();
function greet() {
    print("hello");
}
//! hoisting.ml:2:1: error: 'greet' is not defined [MLR001]
