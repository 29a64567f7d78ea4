"""REPL development-mode benchmark: hot reload of a 1000-line bridge and a 1000-line ML
module, and save-to-reload latency with ``.watch`` (both backends).

    python benchmarks/repl_bench.py [--rounds N]

Every number is measured end to end through ``MLREPLSession.run_command`` /
``apply_pending_reloads``, as a user's REPL does it (spec B13 R3, R4).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from mlpy.repl import MLREPLSession


def bridge_source(version: int, functions: int = 140) -> str:
    lines = ["from mlpy.ext import ml_constant, ml_function, ml_module", "",
             f"VERSION = {version}", "", "",
             '@ml_module("bigbridge", "A large bridge for the benchmark")',
             "class BigBridge:"]
    for i in range(functions):
        lines += [f'    @ml_function("function number {i}")',
                  f"    def f{i}(self, x, y=1):",
                  f"        total = x * {i} + y",
                  "        for k in range(3):",
                  "            total += k",
                  "        return total + VERSION", ""]
    return "\n".join(lines) + "\n"


def ml_source(version: int, functions: int = 200) -> str:
    lines = ["// a large ML module for the benchmark", f"version = {version};"]
    for i in range(functions):
        lines += [f"function g{i}(a, b) {{",
                  f"    t = a * {i} + b;",
                  "    if (t > 10) { t = t - 1; }",
                  "    return t + version;",
                  "}"]
    return "\n".join(lines) + "\n"


def summary(samples: list[float]) -> str:
    ms = sorted(s * 1e3 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (f"n={len(ms)}  mean {statistics.mean(ms):.1f} ms  p50 {statistics.median(ms):.1f}"
            f" ms  p95 {p95:.1f} ms  max {ms[-1]:.1f} ms")


def reload_rounds(session: MLREPLSession, name: str, path: Path, make, rounds: int,
                  check: str) -> list[float]:
    samples = []
    for version in range(2, rounds + 2):
        path.write_text(make(version), encoding="utf-8")
        start = time.perf_counter()
        text = session.run_command(f".reload {name}").text
        samples.append(time.perf_counter() - start)
        assert text.startswith(f"Reloaded {name}"), text
        result = session.execute(check)
        assert result.ok and result.value == 5 + version, (session.show(result), version)
    return samples


def watch_rounds(session: MLREPLSession, path: Path, make, rounds: int,
                 check: str) -> list[float]:
    samples = []
    for version in range(100, 100 + rounds):
        time.sleep(0.3)  # let the previous save settle
        path.write_text(make(version), encoding="utf-8")
        start = time.perf_counter()
        while True:
            lines = session.apply_pending_reloads()
            if lines:
                break
            if time.perf_counter() - start > 5:
                raise SystemExit("no reload within 5 s")
            time.sleep(0.005)
        samples.append(time.perf_counter() - start)
        assert "reloaded" in lines[0], lines
        result = session.execute(check)
        assert result.ok and result.value == 5 + version
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ext, lib = Path(tmp, "ext"), Path(tmp, "lib")
        ext.mkdir()
        lib.mkdir()
        bridge, module = ext / "bigbridge_bridge.py", lib / "bigml.ml"
        bridge.write_text(bridge_source(1), encoding="utf-8")
        module.write_text(ml_source(1), encoding="utf-8")
        print(f"bridge: {len(bridge.read_text().splitlines())} lines; "
              f"ML module: {len(module.read_text().splitlines())} lines")
        session = MLREPLSession(extension_paths=[ext], ml_module_paths=[lib],
                                output=lambda text: None)
        start = time.perf_counter()
        assert session.execute("import bigbridge; import bigml;").ok
        print(f"first import of both: {(time.perf_counter() - start) * 1e3:.1f} ms")
        print("reload 1000-line bridge (.reload, end to end):  " + summary(
            reload_rounds(session, "bigbridge", bridge, bridge_source, args.rounds,
                          "bigbridge.f1(1)")))
        print("reload 1000-line ML module (.reload, transpile + run): " + summary(
            reload_rounds(session, "bigml", module, ml_source, args.rounds, "bigml.g1(5, 0)")))
        for polling in (False, True):
            session.force_polling = polling
            session.run_command(".unwatch")
            backend = session.run_command(".watch bigbridge bigml").text
            assert backend.startswith("Watching")
            label = session.run_command(".watch").text.splitlines()[0]
            rounds = max(5, args.rounds // 2)
            print(f"{label}")
            print("  save -> reloaded, bridge:    " + summary(
                watch_rounds(session, bridge, bridge_source, rounds, "bigbridge.f1(1)")))
            print("  save -> reloaded, ML module: " + summary(
                watch_rounds(session, module, ml_source, rounds, "bigml.g1(5, 0)")))
        stats = session.registry.stats()
        print(f"registry: {stats.scans} scans, bigbridge load "
              f"{stats.modules['bigbridge'].load * 1e3:.1f} ms, bigml transpile "
              f"{stats.modules['bigml'].compile * 1e3:.1f} ms")
        session.close()


if __name__ == "__main__":
    main()
