// The calculator's arithmetic: each function is one button's operation, called by the
// window as a Python callback (mlpy.ml_callback). A division by zero is an ML error the
// window shows; it never reaches Qt as an exception.
// [arithmetic]
function add(a, b) { return a + b; }
function subtract(a, b) { return a - b; }
function multiply(a, b) { return a * b; }
function divide(a, b) { return a / b; }
// [/arithmetic]
