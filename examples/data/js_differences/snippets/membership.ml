// ML has no `in` operator (see in_operator.ml); ask the value instead.
import collections;
import json;
names = ["ann", "bob"];
print(names.count("ann") > 0, collections.contains(names, "bob"));
//> true true
print("ann and bob".find("bob") >= 0, json.hasKey({id: 7}, "id"));
//> true true
// Arrays have Python's methods: append, not push; index, not indexOf.
names.append("cy");
print(names, names.index("bob"), len(names), names.length);
//> ['ann', 'bob', 'cy'] 1 3 3
