// No compound assignment and no ++: write it out.
count = 1;
count += 1;
//! operators.ml:3:8: error: unexpected `=`, expected an expression [MLS001]
//! hint: ML has no `++`, `--` or `+=`: write `x = x + 1;`
