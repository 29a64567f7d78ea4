// `x in list` is not an expression: `in` belongs to `for` only.
names = ["ann", "bob"];
if ("ann" in names) {
    print("found");
}
//! in_operator.ml:3:11: error: unexpected `in`, expected `)` or `,` or `;` or `]` or `}` [MLS001]
//! hint: ML has no `in` operator
