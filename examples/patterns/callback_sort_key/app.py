"""Rank a catalogue with a scoring function written in ML, used as the key of sorted().

The merchandising team owns ``ranking.ml``; the shop's Python code sorts and filters with
its functions as it would with any Python callable: :func:`mlpy.ml_callback` turns an ML
function into one. The shop never builds ML source to call them, and a product the rule
cannot score is shown last instead of breaking the page. Run it with ``python app.py``.
"""

from __future__ import annotations

from pathlib import Path

import mlpy

# [setup]
# The ranking rules need no capabilities; each call may take at most 50 ms.
rules = mlpy.Engine(timeout=0.05).load(Path(__file__).with_name("ranking.ml"))

# early binding: the functions are looked up once, here -- the rules are not reloaded while
# the shop runs. A product the rule fails on (a missing price, say) scores -inf: last.
relevance = mlpy.ml_callback(rules, "relevance", bind="early", default_return=float("-inf"))
in_stock = mlpy.ml_callback(rules, "in_stock", bind="early", default_return=False)
# [/setup]


# [rank]
def ranked(products: list[dict]) -> list[str]:
    """The names of ``products``, most relevant first: sorted() calls the ML function once
    per product, as it would a Python key function."""
    return [p["name"] for p in sorted(products, key=relevance, reverse=True)]


def available(products: list[dict]) -> list[str]:
    return [p["name"] for p in filter(in_stock, products)]
# [/rank]


CATALOGUE = [
    {"name": "kettle", "price": 40, "rating": 4.1, "stock": 12, "promoted": False},
    {"name": "toaster", "price": 55, "rating": 4.6, "stock": 0, "promoted": False},
    {"name": "blender", "price": 90, "rating": 4.4, "stock": 3, "promoted": True},
    {"name": "mixer", "price": None, "rating": 4.9, "stock": 7, "promoted": False},
    {"name": "grill", "price": 120, "rating": 3.8, "stock": 5, "promoted": False},
]


# [main]
def main() -> None:
    print("ranked:", ranked(CATALOGUE))
    print("available:", available(CATALOGUE))
    print("best:", max(CATALOGUE, key=relevance)["name"])
    print(f"relevance: {relevance.stats.calls} calls, {relevance.stats.errors} failed")
# [/main]


if __name__ == "__main__":
    main()
