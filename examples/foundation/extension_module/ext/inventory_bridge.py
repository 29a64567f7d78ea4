"""Stock levels of the warehouses, for ML rules: the extension module ``inventory``.

mlpy finds this file by its name (``<module>_bridge.py``) in a directory of extension
paths and reads its decorators without running it; the file runs the first time a program
imports ``inventory``. ML reaches only what is decorated.
"""

from __future__ import annotations

import mlpy
from mlpy.ext import ml_constant, ml_function, ml_module

# Stands in for a database or a service the host already has.
STOCK = {"eu": {"tea": 40, "jam": 3, "cake": 0}, "us": {"tea": 12, "jam": 9}}


# [module]
@ml_module("inventory", "Stock levels of the warehouses", version="1.0.0")
class Inventory:
    REORDER_LEVEL = ml_constant(5, "below this many units, an item is reordered")

    @ml_function("The units of every item in a warehouse", capabilities=["inventory.read"])
    def stock(self, warehouse: str) -> dict[str, int]:
        # The gate checked that some inventory.read grant exists; which warehouses it
        # covers is a scope only this function can check, now that it knows the warehouse.
        mlpy.require("inventory.read", warehouse)
        return dict(STOCK.get(warehouse, {}))

    @ml_function("The warehouses there are", name="warehouseNames")
    def warehouse_names(self) -> list[str]:
        return sorted(STOCK)

    def _connection(self):  # not decorated, and private: ML cannot reach it
        return STOCK
# [/module]
