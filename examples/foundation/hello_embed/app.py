"""The smallest embedding: run ML from Python, pass data in, read the result and output back.

``greeting.ml`` greets the people the host passes in as ``names``, prints one line each and
sets ``result`` to how many it greeted; with nobody to greet it throws. ``shout`` shows the
one-line API (``mlpy.execute`` on mlpy's process-wide engine); ``greet`` runs the script
on an engine of its own, with a time limit. Run it with ``python app.py``.
"""

from __future__ import annotations

from pathlib import Path

import mlpy

GREETING = Path(__file__).with_name("greeting.ml")


def shout(word: str) -> str:
    """One line of ML on the default engine; ``unwrap`` raises the MLError if it failed."""
    return mlpy.execute('result = word.upper() + "!";', {"word": word}).unwrap()


engine = mlpy.Engine(timeout=1.0)  # no script of this engine runs longer than a second


def greet(names: list[str]) -> mlpy.ExecutionResult:
    """Run greeting.ml for ``names``; the result holds the value, the output or the error."""
    return engine.execute(GREETING, {"names": names}, filename="greeting.ml",
                          capture_output=True)


def main() -> None:
    print(shout("hello"))
    greeted = greet(["Ada", "Grace"])
    print(greeted.stdout, end="")
    print(f"ok={greeted.ok} value={greeted.value}")
    failed = greet([])  # the script throws: execute returns the error, it does not raise
    print(f"ok={failed.ok} value={failed.value}")
    print(failed.error)


if __name__ == "__main__":
    main()
