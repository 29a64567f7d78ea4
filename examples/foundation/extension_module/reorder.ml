// The items of a warehouse whose stock is below the reorder level.
import inventory;

function reorders(warehouse) {
    stock = inventory.stock(warehouse);
    low = [];
    for (item in sorted(keys(stock))) {
        if (stock[item] < inventory.REORDER_LEVEL) {
            low.append(item);
        }
    }
    return low;
}

result = reorders(warehouse);
