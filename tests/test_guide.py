"""The integration guide shows only code that lives, tested, in ``examples/``.

The guide's pages (``docs/guide/**/*.md``) never paste code: every program, module, ML file,
configuration or deployment file they show is pulled in from ``examples/`` with
``{literalinclude}`` (whole, or between two marker lines such as ``# [app]`` and
``# [/app]``). Only commands and their output (``console``, ``bash`` and ``text`` blocks) are
written on the page. The other direction holds too: every example project of the guide,
``examples/<part>/<name>/``, is shown by some page and has a test of its own beside it.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUIDE = DOCS / "guide"
EXAMPLES = ROOT / "examples"

# The folders of examples/ that hold the guide's example projects, in the parts' reading
# order (Part 7's complete applications are in examples/complete/).
PARTS = ("foundation", "patterns", "data", "debugging", "testing", "production", "complete")

# Fenced blocks a guide page may write itself: commands and what they print.
WRITTEN_LANGUAGES = {"console", "bash", "text", "{toctree}", "{note}", "{tip}", "{warning}",
                     "{important}", "{seealso}", "{admonition}", "mermaid"}

FENCE = re.compile(r"^(`{3,}|~{3,})\s*(\S*)(.*)$")
INCLUDE_OPTION = re.compile(r"^:(start-after|end-before):\s*(.+?)\s*$")


def guide_pages() -> list[Path]:
    return sorted(GUIDE.rglob("*.md")) if GUIDE.is_dir() else []


def example_projects() -> list[Path]:
    """``examples/<part>/<name>/`` for every part of the guide."""
    return sorted(
        project
        for part in PARTS
        if (EXAMPLES / part).is_dir()
        for project in (EXAMPLES / part).iterdir()
        if project.is_dir() and not project.name.startswith(("_", "."))
    )


def fenced_blocks(page: Path) -> list[tuple[int, str, str, list[str]]]:
    """(line number, language, argument, body lines) of every fenced block of ``page``."""
    blocks = []
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        fence, language, argument = match.group(1), match.group(2), match.group(3).strip()
        start = index
        index += 1
        body = []
        while index < len(lines) and not lines[index].startswith(fence[0] * len(fence)):
            body.append(lines[index])
            index += 1
        blocks.append((start + 1, language, argument, body))
        index += 1
    return blocks


def includes(page: Path) -> list[tuple[int, Path, dict[str, str]]]:
    """(line number, included file, its start-after/end-before options) of ``page``."""
    found = []
    for line, language, target, body in fenced_blocks(page):
        if language != "{literalinclude}":
            continue
        options = {}
        for option_line in body:
            option = INCLUDE_OPTION.match(option_line)
            if option:
                options[option.group(1)] = option.group(2).strip().strip('"').strip("'")
        found.append((line, (page.parent / target).resolve(), options))
    return found


def all_includes() -> list[tuple[Path, int, Path, dict[str, str]]]:
    return [
        (page, line, target, options)
        for page in sorted(DOCS.rglob("*.md"))
        if "_build" not in page.parts
        for line, target, options in includes(page)
    ]


@pytest.mark.parametrize("page", guide_pages(), ids=lambda page: str(page.relative_to(GUIDE)))
def test_a_guide_page_writes_no_code_of_its_own(page: Path) -> None:
    pasted = [
        f"{page.relative_to(ROOT)}:{line}: a ```{language or '(no language)'} block"
        for line, language, _, _ in fenced_blocks(page)
        if language not in WRITTEN_LANGUAGES and language != "{literalinclude}"
    ]
    assert not pasted, (
        "guide pages pull code in from examples/ with {literalinclude}; pasted here:\n"
        + "\n".join(pasted)
    )


@pytest.mark.parametrize("page", guide_pages(), ids=lambda page: str(page.relative_to(GUIDE)))
def test_a_guide_page_includes_only_existing_example_code(page: Path) -> None:
    problems = []
    for line, target, options in includes(page):
        where = f"{page.relative_to(ROOT)}:{line}"
        if EXAMPLES not in target.parents:
            problems.append(f"{where}: {target} is not in examples/")
            continue
        if not target.is_file():
            problems.append(f"{where}: {target.relative_to(ROOT)} does not exist")
            continue
        text = target.read_text(encoding="utf-8")
        for option, marker in options.items():
            if marker not in text:
                problems.append(f"{where}: {option} marker {marker!r} is not in {target.name}")
        if "start-after" in options and "end-before" in options:
            after = text.find(options["start-after"])
            if text.find(options["end-before"], after) < 0:
                problems.append(f"{where}: the end-before marker comes before start-after")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "project", example_projects(), ids=lambda project: str(project.relative_to(EXAMPLES))
)
def test_every_guide_example_is_shown_by_a_page_and_has_a_test(project: Path) -> None:
    shown = any(project in target.parents for _, _, target, _ in all_includes())
    assert shown, f"no page of docs/ shows {project.relative_to(ROOT)} with {{literalinclude}}"
    tests = sorted(project.rglob("test_*.py"))
    assert tests, f"{project.relative_to(ROOT)} has no test_*.py"


def test_example_test_modules_have_unique_names() -> None:
    """pytest imports example tests by their base name, so two alike would collide."""
    seen: dict[str, Path] = {}
    clashes = []
    for test in sorted(EXAMPLES.rglob("test_*.py")):
        if test.name in seen:
            clashes.append(f"{test.relative_to(ROOT)} and {seen[test.name].relative_to(ROOT)}")
        seen[test.name] = test
    assert not clashes, "test modules with the same name:\n" + "\n".join(clashes)


# The modules whose public names the examples must show; constants (UPPER_CASE) aside.
API_MODULES = (
    "mlpy/__init__.py",
    "mlpy/aio/__init__.py",
    "mlpy/integration/fastapi.py",
    "mlpy/integration/flask.py",
    "mlpy/integration/django.py",
    "mlpy/integration/gui.py",
    "mlpy/integration/asgi.py",
    "mlpy/integration/wsgi.py",
)
EXAMPLES_PER_NAME = 2


def public_names(module_file: str) -> list[str]:
    """The ``__all__`` of a module, constants aside.

    Read from the source where it is written out (importing an integration module needs its
    framework); a computed one (the package's own) is taken from the imported module.
    """
    tree = ast.parse((ROOT / module_file).read_text(encoding="utf-8"))
    names: list[str] | None = None
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets):
            try:
                names = list(ast.literal_eval(node.value))
            except ValueError:
                module = module_file.removesuffix(".py").removesuffix("/__init__")
                names = list(importlib.import_module(module.replace("/", ".")).__all__)
    assert names is not None, f"{module_file} has no __all__"
    return [name for name in names if not name.startswith("_") and not name.isupper()]


# The API modules that import without a framework: their aliases can be found by identity.
IMPORTABLE_API_MODULES = ("mlpy/__init__.py", "mlpy/aio/__init__.py")


def names_of_the_same_object() -> dict[str, set[str]]:
    """For each public name of the importable API modules, every public name of those
    modules bound to the same object (itself included)."""
    names_of: dict[int, set[str]] = {}
    objects: dict[str, object] = {}
    for module_file in IMPORTABLE_API_MODULES:
        module = importlib.import_module(
            module_file.removesuffix("/__init__.py").replace("/", "."))
        for name in public_names(module_file):
            objects[name] = getattr(module, name)
            names_of.setdefault(id(objects[name]), set()).add(name)
    return {name: names_of[id(value)] for name, value in objects.items()}


def projects_using(name: str, projects: dict[Path, str]) -> list[Path]:
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    return [project for project, code in projects.items() if pattern.search(code)]


def test_every_public_name_is_shown_by_two_example_projects() -> None:
    """Each public name of the API is used by at least two example projects' Python code.

    An example project is a folder of ``examples/`` with a ``test_*.py`` of its own; its
    Python files, tests included, are what counts. Names of ``mlpy`` and ``mlpy.aio`` (the
    modules that import without a framework) bound to the same object -- an alias such as
    ``AsyncMLExecutor`` for ``AsyncEngine`` or ``Capabilities`` for ``CapabilitySet`` --
    share their users: a project that uses either name counts for both.
    """
    projects = {
        test.parent: "\n".join(
            path.read_text(encoding="utf-8") for path in sorted(test.parent.rglob("*.py"))
        )
        for test in sorted(EXAMPLES.rglob("test_*.py"))
    }
    aliases = names_of_the_same_object()
    missing = []
    for module_file in API_MODULES:
        for name in public_names(module_file):
            users = sorted({user for alias in aliases.get(name, {name})
                            for user in projects_using(alias, projects)})
            if len(users) < EXAMPLES_PER_NAME:
                shown = ", ".join(str(user.relative_to(EXAMPLES)) for user in users) or "none"
                missing.append(f"{module_file}: {name} (used by: {shown})")
    assert not missing, (
        f"public names used by fewer than {EXAMPLES_PER_NAME} example projects:\n"
        + "\n".join(missing)
    )
