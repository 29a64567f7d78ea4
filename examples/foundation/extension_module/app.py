"""Give ML rules functions written in Python: an extension module in ``ext/``.

``ext/inventory_bridge.py`` declares the module ``inventory`` with ``mlpy.ext``'s
decorators; the engine is told where it is (``extension_paths``) and which warehouses its
programs may read (a scoped ``inventory.read`` grant). ``reorder.ml`` imports it like any
module of the standard library. Run it with ``python app.py``; ``mlpy modules info
inventory -E ext`` describes the module without running it.
"""

from __future__ import annotations

from pathlib import Path

import mlpy

HERE = Path(__file__).resolve().parent

# [engine]
engine = mlpy.Engine(
    extension_paths=[HERE / "ext"],
    capabilities=["inventory.read:eu"],  # this service may read the EU warehouse only
    timeout=1.0,
)
reorder = engine.compile(HERE / "reorder.ml", filename="reorder.ml", inputs=["warehouse"])
# [/engine]


def items_to_reorder(warehouse: str) -> list[str]:
    """The low items of ``warehouse``; raises CapabilityError for a warehouse not granted."""
    return engine.execute(reorder, {"warehouse": warehouse}).unwrap()


def main() -> None:
    print("warehouses:", engine.execute("import inventory; inventory.warehouseNames();").value)
    print("reorder in eu:", items_to_reorder("eu"))
    try:
        items_to_reorder("us")
    except mlpy.CapabilityError as error:
        print("us:", error.message)


if __name__ == "__main__":
    main()
