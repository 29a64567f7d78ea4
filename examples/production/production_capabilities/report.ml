// A tenant's report script: it reads the tenant's orders from `data_dir`, the folder the
// service passes in (and the only one the script may read).
import console;
import file;
import json;

orders = json.parse(file.read(data_dir + "/orders.json"));
total = 0;
for (order in orders) {
    total = total + order.total;
}
console.log(str(len(orders)) + " orders, " + format(total, ".2f") + " in total");
result = total;
