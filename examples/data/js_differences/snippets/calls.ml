// A call must pass every parameter: a missing argument is an error, not undefined.
function area(width, height) {
    return width * height;
}
print(area(2, 3));
//> 6
print(area(2));
//! calls.ml:7:7: error: area() missing 1 required positional argument: 'height' [MLR001]
