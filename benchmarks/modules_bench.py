#!/usr/bin/env python
"""Modules: scanning extension directories, loading one module, and ML source modules.

Usage::

    python benchmarks/modules_bench.py [--modules N] [--repeats N]

Extension modules: writes N small bridge files (five functions and a constant each) to a
temporary directory, then measures a fresh registry's construction, its first listing (index
and describe every file, running none), ``has()`` afterwards, and the first load of one
module (executing its bridge). Targets: construction < 1 ms, scanning 100 small modules
<= 50 ms, ``has`` < 10 us, loading one <= 10 ms.

ML modules: writes a tree of 20 modules (each importing the previous one) and measures the
first compile of a program importing the last one (compiling all 20), a compile from the
engine's cache (which re-checks the 20 files), and an execution that runs the 20 modules'
top levels, against the same program without imports. Reports only; never fails because a
machine is slow.
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


ML_MODULE = """// Module {i}.
{imports}
LIMIT = {i};
_cache = {{}};

function scale(x) {{
    return x * LIMIT + {previous};
}}

function describe(values) {{
    total = 0;
    for (v in values) {{
        total = total + scale(v);
    }}
    return "module {i}: " + str(total);
}}
"""


def bench_ml_modules(repeats: int) -> None:
    import mlpy

    count = 20
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder, "lib")
        for i in range(count):
            path = root / "pkg" / f"m{i}.ml"
            path.parent.mkdir(parents=True, exist_ok=True)
            imports = f"import pkg.m{i - 1} as previous;" if i else ""
            previous = "previous.LIMIT" if i else "0"
            path.write_text(ML_MODULE.format(i=i, imports=imports, previous=previous),
                            encoding="utf-8")
        source = f"import pkg.m{count - 1} as last;\nresult = last.describe([1, 2, 3]);"
        plain = "function scale(x) { return x * 2; }\nresult = scale(3);"
        firsts, cached, runs, bare = [], [], [], []
        for _ in range(repeats):
            engine = mlpy.Engine(ml_module_paths=[root])
            start = time.perf_counter()
            program = engine.compile(source)
            firsts.append(time.perf_counter() - start)
            start = time.perf_counter()
            assert engine.compile(source) is program
            cached.append(time.perf_counter() - start)
            start = time.perf_counter()
            assert engine.execute(program).ok
            runs.append(time.perf_counter() - start)
            compiled = engine.compile(plain)
            start = time.perf_counter()
            assert engine.execute(compiled).ok
            bare.append(time.perf_counter() - start)
    ms = 1e3
    print(f"first compile of a program importing {count} ML modules: median "
          f"{statistics.median(firsts) * ms:.1f} ms "
          f"({statistics.median(firsts) * ms / count:.2f} ms per module)")
    print(f"compile from the cache, re-checking {count} module files: median "
          f"{statistics.median(cached) * ms:.2f} ms")
    print(f"execution running {count} module top levels: median "
          f"{statistics.median(runs) * ms:.2f} ms (a program without imports: "
          f"{statistics.median(bare) * ms:.3f} ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.modules):
            Path(folder, f"mod{i}_bridge.py").write_text(BRIDGE.format(i=i), encoding="utf-8")
        builds, scans, lookups, loads = [], [], [], []
        for repeat in range(args.repeats):
            start = time.perf_counter()
            registry = ModuleRegistry([folder])
            builds.append(time.perf_counter() - start)
            start = time.perf_counter()
            names = registry.available("extension")
            scans.append(time.perf_counter() - start)
            assert len(names) == args.modules, registry.problems()
            start = time.perf_counter()
            for _ in range(1000):
                registry.has("mod7")
            lookups.append((time.perf_counter() - start) / 1000)
            start = time.perf_counter()
            registry.load(f"mod{repeat}")  # a module not loaded before in this process
            loads.append(time.perf_counter() - start)
    print(f"registry construction: median {statistics.median(builds) * 1e6:.1f} us "
          "(target < 1 ms)")
    print(f"scan {args.modules} bridge files: median {statistics.median(scans) * 1e3:.1f} ms, "
          f"min {min(scans) * 1e3:.1f} ms (target <= 50 ms for 100)")
    print(f"has() after the scan: median {statistics.median(lookups) * 1e6:.2f} us "
          "(target < 10 us)")
    print(f"first load of one module: median {statistics.median(loads) * 1e3:.2f} ms, "
          f"min {min(loads) * 1e3:.2f} ms (target <= 10 ms)")
    bench_ml_modules(args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
