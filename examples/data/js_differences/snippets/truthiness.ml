// Empty arrays and empty objects are false in a condition (both are true in JavaScript).
if ([]) { print("never"); } else { print("[] is falsy"); }
//> [] is falsy
print(bool([]), bool({}), bool(0), bool(""), bool(null));
//> false false false false false
// A non-empty string is true, whatever it says.
print(bool("0"), bool("false"), bool([0]), bool({a: null}));
//> true true true true
// So test emptiness directly, or with len().
orders = [];
if (!orders) { print("no orders"); }
//> no orders
print(len(orders) == 0);
//> true
