"""Stop an ML rule at a line, from Python, and look at its variables and its call stack.

``pricing.ml``, an ML module, gives gold customers no discount. ``inspect_discount`` runs it under
``mlpy.debug.Debugger`` with a breakpoint in ``discount``: at the pause it reads the
locals, the ML call stack and the value of an expression in that frame. ``trace_loop`` uses a
conditional breakpoint and a logpoint, and ``catch_errors`` pauses where an uncaught error
is raised. ``check_gold.ml`` prices one basket with it, for
``mlpy debug check_gold.ml --break pricing.ml:6`` and, through ``.vscode/launch.json``, for
VS Code (``mlpy dap``). Run it with ``python app.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlpy
from mlpy.debug import Debugger, PausedFrame, StepAction

HERE = Path(__file__).resolve().parent
PRICING = HERE / "pricing.ml"
BASKET = {"tier": "gold", "items": [{"price": 20, "qty": 2}, {"price": 5, "qty": 4}]}
engine = mlpy.Engine(timeout=10.0, ml_module_paths=[HERE])  # `import pricing;` finds pricing.ml
RUN = "import pricing;\nresult = pricing.price(basket);"


def program() -> mlpy.Program:
    return engine.compile(RUN, filename="run.ml", inputs=["basket"])


# [breakpoint]
def inspect_discount(basket: dict) -> dict[str, Any]:
    """Pause at `return total * rate;` in discount and report what the frame holds."""
    debugger = Debugger(engine)
    debugger.set_breakpoint(str(PRICING), 6)
    seen: dict[str, Any] = {}

    def on_pause(frame: PausedFrame) -> StepAction:
        seen.update(function=frame.function, line=frame.line, locals=dict(frame.locals),
                    stack=[(entry.function, entry.line) for entry in frame.stack],
                    tier_matches=frame.evaluate('tier == "Gold"'))
        return StepAction.CONTINUE

    result = debugger.run(program(), {"basket": basket}, on_pause=on_pause)
    seen["result"] = result.value
    return seen
# [/breakpoint]


# [conditional]
def trace_loop(basket: dict) -> tuple[list[str], list[int]]:
    """A logpoint on the loop body, and a breakpoint there that pauses only on big lines."""
    logged: list[str] = []
    debugger = Debugger(engine, on_log=lambda text, breakpoint: logged.append(text))
    debugger.set_breakpoint(str(PRICING), 12, log_message="adding {item.price * item.qty}")
    debugger.set_breakpoint(str(PRICING), 12, condition="item.price * item.qty > 30")
    paused: list[int] = []
    debugger.run(program(), {"basket": basket},
                 on_pause=lambda frame: paused.append(frame.locals["total"]))
    return logged, paused
# [/conditional]


# [exceptions]
def catch_errors(basket: dict) -> tuple[str, str, int, dict[str, str]]:
    """Pause where an uncaught ML error is raised, with a watch on the culprit."""
    debugger = Debugger(engine)
    debugger.break_on_exceptions()
    debugger.watch("item")
    paused: list[PausedFrame] = []
    debugger.run(program(), {"basket": basket}, on_pause=paused.append)
    frame = paused[0]
    return frame.reason, frame.function, frame.line, frame.watches
# [/exceptions]


def main() -> None:
    seen = inspect_discount(BASKET)
    print(seen["function"], seen["line"], seen["locals"])
    print(seen["stack"], seen["tier_matches"], seen["result"])
    print(trace_loop(BASKET))
    print(catch_errors({"tier": "gold", "items": [{"price": "20", "qty": 2}]}))


if __name__ == "__main__":
    main()
