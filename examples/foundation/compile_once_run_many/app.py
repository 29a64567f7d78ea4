"""Compile a script once and run it for every request, from several threads at once.

``shipping.ml`` prices one parcel. The application compiles it once, at start-up, into a
``Program`` -- an immutable code object the engine also keeps in its cache -- and then runs
that program for each parcel, with the parcel as its only input. Each execution gets a
fresh namespace, so the threads of a pool can run the same program side by side. Run it
with ``python app.py``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mlpy

RULES = Path(__file__).with_name("shipping.ml")

# [compile]
engine = mlpy.Engine(timeout=0.5, max_steps=10_000)
# Compiled once, at start-up: a syntax error or an unknown name stops the application here,
# not at its first request. `inputs` declares the names the host provides.
program = engine.compile(RULES, filename="shipping.ml", inputs=["parcel"])


def quote(parcel: dict) -> float:
    """The shipping cost of one parcel (raises the MLError if the rules fail)."""
    return engine.execute(program, {"parcel": parcel}).unwrap()


def quote_all(parcels: list[dict], workers: int = 4) -> list[float]:
    """Quote many parcels on a thread pool: one Program, one execution per parcel."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(quote, parcels))
# [/compile]


PARCELS = [
    {"zone": "domestic", "grams": 800},
    {"zone": "domestic", "grams": 2300},
    {"zone": "europe", "grams": 1000},
    {"zone": "europe", "grams": 5001},
]


def main() -> None:
    print(f"{program.filename}: inputs {program.inputs}, functions {program.functions}")
    for parcel, cost in zip(PARCELS, quote_all(PARCELS)):
        print(f"{parcel['zone']:>8} {parcel['grams']:>5} g: {cost:.2f}")
    again = engine.compile(RULES, filename="shipping.ml", inputs=["parcel"])
    print("compiled again from the cache:", again is program)


if __name__ == "__main__":
    main()
