#!/usr/bin/env python
"""mlpy benchmarks: ML against the same program in plain Python, host calls, compile and import.

Usage::

    python benchmarks/run.py [--quick] [--repeats N] [--json out.json]

Every number is measured in this run, on this machine; the interesting output is the *ratio*
between ML and Python measured side by side, not the absolute times. See benchmarks/README.md.
Benchmarks report, they never fail because a machine is slow: the exit status is 1 only when a
workload could not run or ML and Python disagree on its result.
"""

from __future__ import annotations

import argparse
import builtins
import gc
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
WORKLOADS = HERE / "workloads"
PROGRAMS = HERE / "programs"

try:
    import mlpy
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(HERE.parent))
    import mlpy

# The limits of the "timeout + steps" runs; the "default" runs take mlpy.execute's defaults (a
# depth limit of 500, no time or step limit), the "no hooks" runs a program compiled without
# limit hooks (``ticks=False``, max_depth=None: trusted code only).
LIMITS = {"timeout": 600, "max_steps": 10**12}
VARIANTS = ("default", "limits", "bare")

# Targets: what mlpy aims for on a typical machine. Reported, never enforced.
TARGET_RATIO = 1.15
TARGET_GEOMEAN = 1.10
TARGET_LIMITS_RATIO = 1.25
TARGET_RANGE_LOOP = 1.3
TARGET_OVERHEAD = 1.10
TARGET_CALLBACK = 1.3
TARGET_WARM_COMPILE_MS = 5.0
TARGET_CACHE_HIT_MS = 0.1
TARGET_FIRST_COMPILE_MS = 80.0
TARGET_IMPORT_MS = 150.0


# ----------------------------------------------------------------------------- timing


def timed(fn: Callable[..., Any], *args: Any) -> float:
    """Seconds one call ``fn(*args)`` takes, with the garbage collector off while it runs."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn(*args)
        return time.perf_counter() - start
    finally:
        gc.enable()


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


def summary(samples: list[float]) -> dict[str, Any]:
    return {"min": min(samples), "median": statistics.median(samples), "samples": samples}


def word_text(count: int, vocabulary: int = 1000, seed: int = 7) -> str:
    """``count`` space-separated words w0..w999 drawn by a linear congruential generator."""
    words = []
    x = seed
    for _ in range(count):
        x = (x * 1103515245 + 12345) % 2147483648
        words.append("w%d" % (x % vocabulary))
    return " ".join(words)


WORKLOAD_SPECS = [  # name, title, inputs, tiny warm-up inputs
    ("fib", "fib(25), recursive", {"n": 25}, {"n": 8}),
    ("loop", "while loop, 1,000,000 steps", {"n": 1_000_000}, {"n": 20}),
    ("quicksort", "quicksort, 20,000 numbers", {"n": 20_000}, {"n": 50}),
    ("concat", 's = s + "x", 100,000 chars', {"n": 100_000}, {"n": 20}),
    ("wordcount", "word count, 50,000 words", {"text": word_text(50_000)},
     {"text": word_text(300)}),
]
# More shapes, reported below the five (the geometric mean is the five's).
EXTRA_SPECS = [
    ("rangeloop", "for (i in range(n)) s = s + i * i % 7, 1,000,000", {"n": 1_000_000},
     {"n": 20}),
    ("strings", "string building, 50,000 lines", {"n": 50_000}, {"n": 20}),
    ("records", "objects: 100,000 records by region", {"n": 100_000}, {"n": 20}),
]


def orders(count: int, seed: int = 11) -> list[dict[str, Any]]:
    """Order objects for the shipping-fee rule, drawn by a linear congruential generator."""
    countries = ["US", "US", "US", "DE", "FR", "JP"]
    result = []
    x = seed
    for _ in range(count):
        x = (x * 1103515245 + 12345) % 2147483648
        result.append({
            "id": x % 100000,
            "total": (x % 20000) / 100,
            "weight": (x // 7) % 120 / 10,
            "country": countries[(x // 13) % len(countries)],
            "express": (x // 17) % 4 == 0,
        })
    return result


# ----------------------------------------------------------------------------- 1. run time


class Workload:
    """One program written twice, ``<name>.ml`` and ``<name>.py``, run on the same inputs.

    Both files are compiled once, up front, the ML one also without limit hooks. A run of the
    ML side is ``mlpy.execute(program, inputs, **limits)`` for each variant (see VARIANTS); a
    run of the Python side is ``exec`` of the compiled ``.py`` file in a fresh namespace
    holding the same inputs. Both programs keep their hot code in functions and leave their
    answer in ``result``.
    """

    def __init__(self, name: str, title: str, inputs: dict[str, Any], warm: dict[str, Any]):
        from mlpy.program import compile_program

        self.name, self.title, self.inputs, self.warm = name, title, inputs, warm
        ml_path, py_path = WORKLOADS / f"{name}.ml", WORKLOADS / f"{name}.py"
        source = ml_path.read_text(encoding="utf-8")
        self.program = mlpy.compile(source, filename=ml_path.name, inputs=list(inputs))
        self.bare = compile_program(source, ml_path.name, mlpy.Engine().registry,
                                    inputs=list(inputs), ticks=False)
        self.code = compile(py_path.read_text(encoding="utf-8"), str(py_path), "exec")

    def run_ml(self, inputs: dict[str, Any], variant: str = "limits") -> Any:
        if variant == "bare":
            result = mlpy.execute(self.bare, inputs, max_depth=None)
        elif variant == "default":
            result = mlpy.execute(self.program, inputs)
        else:
            result = mlpy.execute(self.program, inputs, **LIMITS)
        result.raise_for_error()
        return result.value

    def run_py(self, inputs: dict[str, Any]) -> Any:
        namespace = {"__builtins__": builtins, **inputs}
        exec(self.code, namespace)
        return namespace["result"]


def run_workloads(repeats: int, specs: list[tuple] | None = None) -> list[dict[str, Any]]:
    rows = []
    for name, title, inputs, warm in WORKLOAD_SPECS if specs is None else specs:
        row: dict[str, Any] = {"name": name, "title": title}
        try:
            workload = Workload(name, title, inputs, warm)
            sides: dict[str, Callable[[dict[str, Any]], Any]] = {
                variant: (lambda i, v=variant: workload.run_ml(i, v)) for variant in VARIANTS}
            sides["python"] = workload.run_py
            # Warm up: tiny inputs first, so CPython's adaptive interpreter has specialised the
            # code of both versions (3.11 does so after a function's 8th call or at a for-loop
            # back-edge, never in a while loop), then one full-size run of each; they must agree.
            for _ in range(10):
                for run in sides.values():
                    run(workload.warm)
            values = {side: run(workload.inputs) for side, run in sides.items()}
            if len({repr(v) for v in values.values()}) != 1:
                row["error"] = f"results differ: {values!r}"[:400]
            samples: dict[str, list[float]] = {side: [] for side in sides}
            order = list(sides)
            for i in range(repeats):  # interleaved, the order turning from one repeat to the next
                turn = order[i % len(order):] + order[:i % len(order)]
                for side in turn:
                    samples[side].append(timed(sides[side], workload.inputs))
            for side in sides:
                row[side] = summary(samples[side])
            py_min, py_median = row["python"]["min"], row["python"]["median"]
            for variant in VARIANTS:
                row[f"ratio_{variant}"] = row[variant]["min"] / py_min
                row[f"ratio_{variant}_median"] = row[variant]["median"] / py_median
            row["ratio"] = row["ratio_default"]
            row["ratio_median"] = row["ratio_default_median"]
            row["overhead"] = row["limits"]["min"] / row["bare"]["min"]
            row["overhead_default"] = row["default"]["min"] / row["bare"]["min"]
        except Exception as error:  # noqa: BLE001 - report the failure, go on with the rest
            row["error"] = f"{type(error).__name__}: {error}"
        rows.append(row)
        progress(f"run time: {name}")
    return rows


# ----------------------------------------------------------------------------- 2. host calls


def run_callbacks(repeats: int, calls: int = 100_000) -> list[dict[str, Any]]:
    source = (WORKLOADS / "shipping.ml").read_text(encoding="utf-8")
    namespace: dict[str, Any] = {"__builtins__": builtins}
    exec(compile((WORKLOADS / "shipping.py").read_text(encoding="utf-8"),
                 str(WORKLOADS / "shipping.py"), "exec"), namespace)
    py_score = namespace["score"]
    distinct = orders(1000)
    batch = distinct * (calls // len(distinct))

    def drive(fn: Callable[[Any], Any]) -> None:  # the same loop for both sides
        for order in batch:
            fn(order)

    rows = []
    variants = [
        ("score", "score(order), o.key access"),
        ("score_indexed", 'score(order), o["key"] access'),
    ]
    for name, title in variants:
        row: dict[str, Any] = {"name": name, "title": title, "calls": len(batch)}
        try:
            session = mlpy.Engine().session()
            session.exec(source).raise_for_error()
            ml_score = session.function(name)
            expected = [py_score(o) for o in distinct]
            got = [ml_score(o) for o in distinct]
            if got != expected:
                row["error"] = "results differ between ML and Python"
            for _ in range(2):
                drive(ml_score)
                drive(py_score)
            ml, py = [], []
            for i in range(repeats):
                pair = [(ml, ml_score), (py, py_score)]
                for samples, fn in (pair if i % 2 == 0 else pair[::-1]):
                    samples.append(timed(drive, fn))
            row["ml"], row["python"] = summary(ml), summary(py)
            row["ratio"] = row["ml"]["min"] / row["python"]["min"]
            row["ratio_median"] = row["ml"]["median"] / row["python"]["median"]
            row["overhead_us"] = (row["ml"]["min"] - row["python"]["min"]) / len(batch) * 1e6
        except Exception as error:  # noqa: BLE001
            row["error"] = f"{type(error).__name__}: {error}"
        rows.append(row)
        progress(f"host calls: {name}")
    return rows


# ------------------------------------------------------------------ 3, 4. fresh processes

IMPORT_CHILD = """\
import time
start = time.perf_counter()
import mlpy
print(time.perf_counter() - start)
"""

COMPILE_CHILD = """\
import sys, time
import mlpy
with open(sys.argv[1], encoding="utf-8") as handle:
    source = handle.read()
start = time.perf_counter()
mlpy.compile(source)
print(time.perf_counter() - start)
"""


class Children:
    """Runs fresh Python processes that import this same mlpy.

    Bytecode is cached under a private ``PYTHONPYCACHEPREFIX`` (primed by a first run), so the
    children import the way an installed package does, whatever ``PYTHONDONTWRITEBYTECODE``
    says, and nothing is written into the source tree. The grammar cache lives in a private
    ``MLPY_CACHE_DIR``: ``warm`` (primed) or a new empty directory per run.
    """

    def __init__(self, root: Path):
        self.root = root
        self.warm_cache = root / "grammar-cache"
        self.env = dict(os.environ)
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        package_parent = str(Path(mlpy.__file__).resolve().parent.parent)
        self.env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)
        self.empty_dirs = 0

    def run(self, code: str, *args: str, cache: str = "warm") -> float:
        env = dict(self.env)
        if cache == "warm":
            env["MLPY_CACHE_DIR"] = str(self.warm_cache)
        else:
            self.empty_dirs += 1
            fresh = self.root / f"empty-cache-{self.empty_dirs}"
            fresh.mkdir()
            env["MLPY_CACHE_DIR"] = str(fresh)
        done = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=self.root,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else
                               f"child exited with status {done.returncode}")
        return float(done.stdout.strip().splitlines()[-1])


def run_fresh_processes(repeats: int, import_runs: int) -> tuple[dict[str, Any], dict[str, Any]]:
    root = Path(tempfile.mkdtemp(prefix="mlpy-bench-"))
    try:
        children = Children(root)
        programs = {name: str(PROGRAMS / f"{name}.ml") for name in ("rules", "report")}
        for path in programs.values():  # prime the bytecode and the grammar cache
            children.run(COMPILE_CHILD, path)
        first: dict[str, Any] = {}
        for cache in ("warm", "empty"):
            for name, path in programs.items():
                samples = [children.run(COMPILE_CHILD, path, cache=cache) for _ in range(repeats)]
                first[f"{name}/{cache}"] = summary(samples)
            progress(f"first compile, {cache} grammar cache")
        samples = [children.run(IMPORT_CHILD) for _ in range(import_runs)]
        progress("import time")
        return first, summary(samples)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------- 3. compile in process


def compile_many(engine: Any, source: str, times: int) -> None:
    for _ in range(times):
        engine.compile(source)


def run_compile(repeats: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in ("rules", "report"):
        source = (PROGRAMS / f"{name}.ml").read_text(encoding="utf-8")
        info: dict[str, Any] = {"lines": source.count("\n") + 1, "bytes": len(source.encode())}
        uncached = mlpy.Engine(cache_size=0)
        for _ in range(5):
            uncached.compile(source)
        info["warm"] = summary([timed(uncached.compile, source) for _ in range(repeats)])
        stages = uncached.compile(source).timings
        info["stages"] = dict(stages)
        cached = mlpy.Engine()
        cached.compile(source)
        per_call = [timed(compile_many, cached, source, 1000) / 1000
                    for _ in range(max(5, repeats // 4))]
        info["cache_hit"] = summary(per_call)
        results[name] = info
    progress("compile in process")
    return results


# ----------------------------------------------------------------------------- report


def progress(message: str) -> None:
    print(f"  ... {message}", file=sys.stderr, flush=True)


def render(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    def line(cells: list[str]) -> str:
        first = str(cells[0]).ljust(widths[0])
        rest = [str(c).rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  " + "  ".join([first, *rest]).rstrip()
    rule = "  " + "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "over"


def mismatch(row: dict[str, Any]) -> str:
    return " (MISMATCH)" if "error" in row else ""


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def runtime_table(runtime: list[dict[str, Any]], geomean: float | None,
                  geomean_limits: float | None) -> str:
    rows = []
    for r in runtime:
        if "python" not in r:
            rows.append([r["title"], "-", "-", "-", "FAILED", "", "", ""])
            continue
        target = TARGET_RANGE_LOOP if r["name"] == "rangeloop" else TARGET_RATIO
        over = max(r["overhead"], r["overhead_default"])
        rows.append([
            r["title"], ms(r["default"]["min"]), ms(r["limits"]["min"]),
            ms(r["python"]["min"]),
            f"{r['ratio_default']:.2f}x ({r['ratio_default_median']:.2f})",
            f"{r['ratio_limits']:.2f}x ({r['ratio_limits_median']:.2f})",
            f"{r['overhead_default']:.2f}/{r['overhead']:.2f}",
            " ".join([verdict(r["ratio_default"], target),
                      verdict(r["ratio_limits"], max(target, TARGET_LIMITS_RATIO)),
                      verdict(over, TARGET_OVERHEAD)]) + mismatch(r)])
    if geomean is not None:
        rows.append(["geometric mean", "", "", "", f"{geomean:.2f}x", f"{geomean_limits:.2f}x",
                     "", " ".join([verdict(geomean, TARGET_GEOMEAN),
                                   verdict(geomean_limits, TARGET_LIMITS_RATIO)])])
    return render(["workload", "default ms", "limits ms", "Python ms", "ratio default",
                   "ratio limits", "overhead", "vs targets"], rows)


def report(results: dict[str, Any]) -> str:
    meta = results["meta"]
    out = [
        f"mlpy {meta['mlpy']} on {meta['python']} ({meta['platform']}), "
        f"{meta['repeats']} repeats{' (quick)' if meta['quick'] else ''}; "
        "times are the minimum over repeats",
        "",
        "1. Run time: an ML program against the same program in Python, ratios of minimums "
        "(median ratios in brackets)",
        "   default = mlpy.execute's limits (max_depth=500); limits = timeout=600, "
        "max_steps=10**12;",
        "   overhead = the same program with limits against it compiled without limit hooks",
    ]
    out.append(runtime_table(results["runtime"], results.get("runtime_geomean"),
                             results.get("runtime_geomean_limits")))
    if results.get("runtime_extra"):
        out += ["", "   More shapes (the range loop's target is "
                f"<= {TARGET_RANGE_LOOP:.2f}x):"]
        out.append(runtime_table(results["runtime_extra"], None, None))
    calls = results["callbacks"]
    if not calls:
        return "\n".join(out + problems(results))
    out += ["", f"2. Calling an ML function from Python ({calls[0].get('calls', 0):,} calls "
            "through session.function) against the same function in Python"]
    rows = []
    for r in calls:
        if "ml" not in r:
            rows.append([r["title"], "-", "-", "FAILED", "", "", "", ""])
            continue
        rows.append([r["title"], ms(r["ml"]["min"]), ms(r["python"]["min"]), f"{r['ratio']:.2f}x",
                     f"{r['ratio_median']:.2f}x", f"{r['overhead_us']:.3f}",
                     f"<= {TARGET_CALLBACK:.2f}x",
                     verdict(r["ratio"], TARGET_CALLBACK) + mismatch(r)])
    out.append(render(["function", "ML ms", "Python ms", "ratio", "median ratio",
                       "extra us/call", "target", ""], rows))
    comp, first = results["compile"], results["first_compile"]
    small, large = comp["rules"], comp["report"]
    out += ["", f"3. Compile time (ms; medians): rules.ml = {small['lines']} lines, "
            f"{small['bytes'] / 1024:.1f} KB; report.ml = {large['lines']} lines, "
            f"{large['bytes'] / 1024:.1f} KB"]
    rows = []
    if first:
        for cache, label in (("warm", "first compile, fresh process, grammar cached"),
                             ("empty", "first compile, fresh process, empty cache dir")):
            a, b = first[f"rules/{cache}"]["median"], first[f"report/{cache}"]["median"]
            rows.append([label, ms(a), ms(b), f"<= {TARGET_FIRST_COMPILE_MS:.0f}",
                         verdict(a * 1e3, TARGET_FIRST_COMPILE_MS)])
    a, b = small["warm"]["median"], large["warm"]["median"]
    rows.append(["warm compile, Engine(cache_size=0)", ms(a), ms(b),
                 f"<= {TARGET_WARM_COMPILE_MS:.0f}", verdict(a * 1e3, TARGET_WARM_COMPILE_MS)])
    a, b = small["cache_hit"]["median"], large["cache_hit"]["median"]
    rows.append(["cache hit, Engine().compile again", f"{a * 1e3:.4f}", f"{b * 1e3:.4f}",
                 f"<= {TARGET_CACHE_HIT_MS}", verdict(a * 1e3, TARGET_CACHE_HIT_MS)])
    out.append(render(["measurement", "rules.ml", "report.ml", "target (rules)", ""], rows))
    stages = "  warm compile stages (report.ml, ms): " + ", ".join(
        f"{k} {v * 1e3:.2f}" for k, v in large["stages"].items())
    out.append(stages)
    if results.get("import"):
        imp = results["import"]
        out += ["", "4. import mlpy in a fresh process (ms, bytecode cached)"]
        out.append(render(["measurement", "median", "min", "target", ""], [[
            f"import mlpy ({len(imp['samples'])} processes)", ms(imp["median"]), ms(imp["min"]),
            f"<= {TARGET_IMPORT_MS:.0f}", verdict(imp["median"] * 1e3, TARGET_IMPORT_MS)]]))
    return "\n".join(out + problems(results))


def problems(results: dict[str, Any]) -> list[str]:
    failures = [r for r in results["runtime"] + results.get("runtime_extra", [])
                + results["callbacks"] if "error" in r]
    out = ["", "Problems:"] if failures else []
    for r in failures:
        out.append(f"  {r['name']}: " + r["error"].replace("\n", "\n    "))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a rough look)")
    parser.add_argument("--repeats", type=int, help="timed repeats per run-time measurement")
    parser.add_argument("--json", metavar="PATH", help="also write every sample as JSON")
    parser.add_argument("--no-subprocess", action="store_true",
                        help="skip the fresh-process measurements (first compile, import)")
    parser.add_argument("--runtime-only", action="store_true",
                        help="only section 1, the run time of the workloads")
    options = parser.parse_args(argv)
    repeats = options.repeats or (3 if options.quick else 11)
    results: dict[str, Any] = {"meta": {
        "mlpy": mlpy.__version__, "mlpy_path": str(Path(mlpy.__file__).parent),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(), "repeats": repeats, "quick": options.quick,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }}
    results["runtime"] = run_workloads(repeats)
    results["runtime_extra"] = run_workloads(repeats, EXTRA_SPECS)
    for key, ratio in (("runtime_geomean", "ratio_default"),
                       ("runtime_geomean_limits", "ratio_limits")):
        ratios = [r[ratio] for r in results["runtime"] if ratio in r]
        results[key] = geometric_mean(ratios) if ratios else None
    if options.runtime_only:
        print(report({**results, "callbacks": []}))
        if options.json:
            Path(options.json).write_text(json.dumps(results, indent=2) + "\n",
                                          encoding="utf-8")
        failed = any("error" in r for r in results["runtime"] + results["runtime_extra"])
        return 1 if failed else 0
    results["callbacks"] = run_callbacks(repeats)
    results["compile"] = run_compile(10 if options.quick else 40)
    results["first_compile"], results["import"] = ({}, {}) if options.no_subprocess else \
        run_fresh_processes(3 if options.quick else 9, 5 if options.quick else 11)
    print(report(results))
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    failed = any("error" in r for r in results["runtime"] + results["runtime_extra"]
                 + results["callbacks"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
