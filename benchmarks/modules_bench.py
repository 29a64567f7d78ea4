#!/usr/bin/env python
"""Module discovery: scanning extension directories, and loading one module on first use.

Usage::

    python benchmarks/modules_bench.py [--modules N] [--repeats N]

Writes N small bridge files (five functions and a constant each) to a temporary directory,
then measures a fresh registry's first listing (index and describe every file, running
none) and the first load of one module (executing its bridge). Targets: scanning 100 small
modules <= 50 ms, loading one <= 10 ms. Reports only; never fails because a machine is slow.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:
    import mlpy  # noqa: F401
except ImportError:
    sys.path.insert(0, str(HERE.parent))

from mlpy.modules.registry import ModuleRegistry  # noqa: E402

BRIDGE = '''"""Module {i}."""
from mlpy.ext import ml_constant, ml_function, ml_module


@ml_module("mod{i}", "Test module {i}", version="1.0.{i}")
class Mod{i}:
    LIMIT = ml_constant({i}, "a constant")

    @ml_function("Add")
    def add(self, a, b):
        return a + b

    @ml_function("Scale", name="scaleBy")
    def scale_by(self, a, k):
        return a * k

    @ml_function("Text", capabilities=["console.write"])
    def text(self, a):
        return str(a)

    @ml_function("Keys")
    def keys(self, o):
        return sorted(o)

    @ml_function("Count")
    def count(self, a):
        return len(a)
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.modules):
            Path(folder, f"mod{i}_bridge.py").write_text(BRIDGE.format(i=i), encoding="utf-8")
        scans, loads = [], []
        for repeat in range(args.repeats):
            registry = ModuleRegistry([folder])
            start = time.perf_counter()
            names = registry.available("extension")
            scans.append(time.perf_counter() - start)
            assert len(names) == args.modules, registry.problems()
            start = time.perf_counter()
            registry.load(f"mod{repeat}")  # a module not loaded before in this process
            loads.append(time.perf_counter() - start)
    print(f"scan {args.modules} bridge files: median {statistics.median(scans) * 1e3:.1f} ms, "
          f"min {min(scans) * 1e3:.1f} ms (target <= 50 ms for 100)")
    print(f"first load of one module: median {statistics.median(loads) * 1e3:.2f} ms, "
          f"min {min(loads) * 1e3:.2f} ms (target <= 10 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
