'''The projects ``mlpy init`` creates: one mapping of relative path -> text per template.

``{{name}}`` is replaced by the project's name and ``{{package}}`` by its Python/ML
identifier. Every template has tests of its own (``pytest`` in the new directory passes),
and tests/cli/test_init.py generates each one and runs them.
'''

from __future__ import annotations

README = """# {{name}}

A project that runs scripts written in ML with [mlpy](https://pypi.org/project/mlpy/).

    pip install 'mlpy[cli]' pytest
    pytest
"""

PYPROJECT = """[project]
name = "{{name}}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["mlpy"{{extra_deps}}]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

BASIC = {
    "README.md": README + "\n    mlpy run main.ml --var 'order={\"qty\": 3, \"price\": 2.5}'\n",
    "pyproject.toml": PYPROJECT.replace("{{extra_deps}}", ""),
    "mlpy.json": '{"name": "{{name}}"}\n',
    "main.ml": """// The total of an order the host passes in as `order`.
function total(order) {
    return order.qty * order.price;
}

result = total(order);
print("total:", result);
""",
    "tests/test_main.py": '''"""main.ml computes an order's total, run through mlpy and through the mlpy command."""

import json
import subprocess
import sys
from pathlib import Path

import mlpy

MAIN = Path(__file__).resolve().parents[1] / "main.ml"


def test_total():
    engine = mlpy.Engine()
    program = engine.compile(MAIN.read_text(encoding="utf-8"), filename="main.ml",
                             inputs=["order"])
    result = engine.execute(program, {"order": {"qty": 3, "price": 2.5}},
                            capture_output=True)
    assert result.unwrap() == 7.5
    assert result.stdout == "total: 7.5\\n"


def test_command_line():
    done = subprocess.run([sys.executable, "-m", "mlpy", "run", str(MAIN), "--json",
                           "--var", \'order={"qty": 2, "price": 4}\'],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value"] == 8
''',
}

CLI = {
    "README.md": README + "\n    python -m {{package}} 3 4 5\n",
    "pyproject.toml": PYPROJECT.replace("{{extra_deps}}", ""),
    "mlpy.json": '{"name": "{{name}}"}\n',
    "{{package}}/__init__.py": '"""{{name}}: a command whose logic is the ML script summary.ml."""\n',
    "{{package}}/summary.ml": """// Summarise the numbers the command was given in `numbers`.
function summary(numbers) {
    total = 0;
    for (n in numbers) {
        total = total + n;
    }
    return {count: len(numbers), total: total, mean: total / len(numbers)};
}

result = summary(numbers);
""",
    "{{package}}/__main__.py": '''"""python -m {{package}} N...: the count, total and mean of the numbers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import mlpy

SCRIPT = Path(__file__).with_name("summary.ml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="{{package}}")
    parser.add_argument("numbers", nargs="+", type=float)
    options = parser.parse_args(argv)
    result = mlpy.Engine(timeout=5.0).execute(
        SCRIPT.read_text(encoding="utf-8"), {"numbers": options.numbers}, filename="summary.ml")
    if result.error is not None:
        print(result.error, file=sys.stderr)
        return 1
    summary = result.value
    print(f"count {summary['count']}, total {summary['total']}, mean {summary['mean']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
''',
    "tests/test_cli.py": '''"""The command prints the summary the ML script computes; bad input is refused."""

import subprocess
import sys
from pathlib import Path

import pytest

from {{package}}.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def test_summary(capsys):
    assert main(["3", "4", "5"]) == 0
    assert capsys.readouterr().out == "count 3, total 12.0, mean 4.0\\n"


def test_not_a_number():
    with pytest.raises(SystemExit) as stopped:
        main(["three"])
    assert stopped.value.code == 2


def test_as_a_process():
    done = subprocess.run([sys.executable, "-m", "{{package}}", "1", "2"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "count 2, total 3.0, mean 1.5\\n"
''',
    "tests/conftest.py": '''import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
''',
}

LIBRARY = {
    "README.md": README + "\n    mlpy run -M lib examples/use.ml\n",
    "pyproject.toml": PYPROJECT.replace("{{extra_deps}}", ""),
    "mlpy.json": '{"name": "{{name}}", "ml_module_paths": ["./lib"]}\n',
    "lib/{{package}}/stats.ml": """// Statistics over arrays of numbers: `import {{package}}.stats;`.

function mean(values) {
    total = 0;
    for (v in values) {
        total = total + v;
    }
    return total / len(values);
}

function spread(values) {
    return max(values) - min(values);
}
""",
    "examples/use.ml": """import {{package}}.stats;

data = [2, 4, 9];
result = {mean: {{package}}.stats.mean(data), spread: {{package}}.stats.spread(data)};
""",
    "tests/test_stats.py": '''"""The library's functions, imported from ML as the example imports them."""

import subprocess
import sys
from pathlib import Path

import mlpy

ROOT = Path(__file__).resolve().parents[1]


def run(source):
    engine = mlpy.Engine(ml_module_paths=[ROOT / "lib"])
    return engine.execute(source, filename="<test>").unwrap()


def test_mean_and_spread():
    assert run("import {{package}}.stats;\\nresult = {{package}}.stats.mean([1, 2, 3, 6]);") == 3
    assert run("import {{package}}.stats;\\nresult = {{package}}.stats.spread([5, 1, 4]);") == 4


def test_example():
    value = mlpy.Engine(ml_module_paths=[ROOT / "lib"]).execute(
        (ROOT / "examples" / "use.ml").read_text(encoding="utf-8"), filename="use.ml").unwrap()
    assert value == {"mean": 5, "spread": 7}


def test_check_finds_no_problem():
    # mlpy.json names lib/ as an ML module root, so the command needs no -M here
    done = subprocess.run([sys.executable, "-m", "mlpy", "check", "examples/use.ml"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
''',
}

WEB = {
    "README.md": README + "\n    pip install fastapi uvicorn httpx\n    uvicorn app:app\n",
    "pyproject.toml": PYPROJECT.replace("{{extra_deps}}", ', "fastapi", "httpx", "uvicorn"'),
    "mlpy.json": '{"name": "{{name}}"}\n',
    "rules.ml": """// The price of an order: quantity times unit price, 10% off from 10 items on.
function price(order) {
    subtotal = order.qty * order.unit_price;
    if (order.qty >= 10) {
        return subtotal * 0.9;
    }
    return subtotal;
}
""",
    "app.py": '''"""A web service whose pricing rules are the ML script rules.ml."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.integration.fastapi import (
    get_async_engine, health_router, install_error_handlers, mlpy_lifespan,
)

RULES = mlpy.compile(Path(__file__).with_name("rules.ml").read_text(encoding="utf-8"),
                     filename="rules.ml")

app = FastAPI(lifespan=mlpy_lifespan)
install_error_handlers(app)
app.include_router(health_router())


@app.post("/price")
async def price(order: dict, ml: AsyncEngine = Depends(get_async_engine)) -> dict:
    return {"price": await ml.call(RULES, "price", order, timeout=1.0)}
''',
    "tests/test_app.py": '''"""The service prices orders with the ML rules and answers its health probe."""

import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import app  # noqa: E402


def test_price():
    with TestClient(app) as client:
        small = client.post("/price", json={"qty": 2, "unit_price": 5})
        bulk = client.post("/price", json={"qty": 10, "unit_price": 1})
    assert small.status_code == 200 and small.json() == {"price": 10}
    assert bulk.json() == {"price": 9.0}


def test_a_bad_order_is_a_problem_response():
    with TestClient(app) as client:
        answer = client.post("/price", json={"qty": "many"})
    assert answer.status_code >= 400
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_health():
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
''',
}

TEMPLATES: dict[str, dict[str, str]] = {"basic": BASIC, "web": WEB, "cli": CLI,
                                        "library": LIBRARY}


def render(template: str, name: str, package: str) -> dict[str, str]:
    """The files of ``template`` for a project called ``name``."""
    def fill(text: str) -> str:
        return text.replace("{{name}}", name).replace("{{package}}", package)

    return {fill(path): fill(text) for path, text in TEMPLATES[template].items()}
