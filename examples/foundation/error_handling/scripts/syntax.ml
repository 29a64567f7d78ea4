// A syntax error: the program is refused as a whole.
//! refused on purpose: MLS001 at 3:19
result = amount * ;
