"""ML callbacks that keep state between calls: one anomaly monitor per sensor.

``monitor.ml`` keeps a count and a running mean in its top-level variables, and its
``record`` function updates them with ``nonlocal``. Each sensor gets a session of its own --
state is per session -- and the host calls ``record`` as a Python callback for every reading.
Calls into one session hold its lock, so readings that arrive from several threads update the
state one at a time and none is lost. Run it with ``python app.py``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import mlpy

MONITOR = Path(__file__).with_name("monitor.ml")
engine = mlpy.Engine(timeout=0.1)  # a reading is handled in well under 100 ms


# [monitor]
class SensorMonitor:
    """One sensor's monitor: a session of monitor.ml, and its functions as callbacks."""

    def __init__(self, tolerance: float) -> None:
        self.session = engine.load(MONITOR, variables={"tolerance": tolerance})
        self.record = mlpy.ml_callback(self.session, "record")
        self.summary = mlpy.ml_callback(self.session, "summary")

    def load(self) -> mlpy.CallbackStats:
        """How the monitor is used: readings recorded, readings refused, seconds spent."""
        return self.record.stats

    def reset(self) -> None:
        """Start the statistics again: the host sets the ML variables, as ML would."""
        self.session.set("count", 0)
        self.session.set("mean", 0.0)
# [/monitor]


READINGS = [20.1, 20.4, 19.8, 20.0, 20.3, 27.9, 20.2]


# [main]
def main() -> None:
    boiler, freezer = SensorMonitor(tolerance=2.0), SensorMonitor(tolerance=1.0)
    flags = [boiler.record(reading) for reading in READINGS]
    print("boiler anomalies at:", [i for i, flag in enumerate(flags) if flag])
    print("boiler:", boiler.summary(), "freezer:", freezer.summary())

    # Four threads feed the freezer's monitor at once: every reading is counted.
    def feed() -> None:
        for _ in range(250):
            freezer.record(-18.0)

    threads = [threading.Thread(target=feed) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("freezer after 4 x 250 readings:", freezer.summary())
    freezer.reset()
    print("freezer after reset:", freezer.summary(), "calls:", freezer.load().calls)
# [/main]


if __name__ == "__main__":
    main()
