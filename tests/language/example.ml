// The format of these files is described in conftest.py.
print("hello", 1 + 2);
#> hello 3
---
x = 10;
y = 0;
print("before");
z = x / y;   ### "ZeroDivisionError|division by zero"
#> before
