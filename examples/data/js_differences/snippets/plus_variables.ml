// Between two variables `+` is plain addition: text plus a number is an error. Use str().
label = "items: ";
n = 3;
print(label + str(n));
//> items: 3
print(label + n);
//! plus_variables.ml:6:7: error: cannot add a number to a string [MLR001]
