// There is no `===`: `==` already compares without coercion.
same = 1 === 1;
//! triple_equals.ml:2:12: error: unexpected `=`, expected an expression [MLS001]
//! hint: ML compares with `==` and `!=`: there is no `===` or `!==`
