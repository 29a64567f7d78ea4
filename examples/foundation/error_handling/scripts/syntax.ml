// A syntax error: the program is refused as a whole.
result = amount * ;
