// A JavaScript method is an error whose hint names the ML one.
items = [1, 2];
items.push(3);
//! js_methods.ml:3:1: error: array has no method 'push' [MLR001]
//! hint: in ML, use append(x)
