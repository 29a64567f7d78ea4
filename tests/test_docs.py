"""Every code block in the documentation runs, and prints what the page says it prints.

The pages are ``docs/**/*.md`` and ``README.md``. Four kinds of fenced block are run:

``python`` blocks
    Run with pytest-examples (``EvalExample.run_print_check``). A ``#> text`` comment after a
    ``print(...)`` is the output that call must produce; output of several lines, or of a
    long line, is a triple-quoted string after the call instead (pytest-examples' format).
    A ``#>`` line must follow a ``print`` call, or it would go unchecked. Every block is a
    self-contained program. ``pytest tests/test_docs.py --update-examples`` rewrites the
    expected output from the real output.

``ml`` blocks
    Collected by the small collector below (pytest-examples only collects Python fences) and
    run with ``mlpy.execute(source, filename="example.ml", capture_output=True)``. The
    expected output is written in ML comments, so every block stays valid ML that a reader
    can copy as it is (the ``#>`` lines of the chunked files in ``tests/language/`` are not
    ML, and are removed before those files run):

    * ``//> text`` -- one line of expected output, written either on a line of its own or
      after the statement that prints it (``print(1 + 2);  //> 3``). The ``//>`` lines of a
      block, in order, must equal everything the program prints; a block without them must
      print nothing. ``//>`` alone stands for an empty line.
    * ``//! text`` -- the block must fail. Its ``//!`` lines, joined by newlines, must appear
      in the error report (``str(result.error)``: ``example.ml:LINE:COL: error: message
      [CODE]``, the source line and the caret). Output printed before the failure is still
      compared with the ``//>`` lines.
    * ``grant="cap1 cap2"`` after the fence's language (```` ```ml grant="console.write" ````)
      runs the block with those capabilities; MyST ignores the words after the language.

    Every ``ml`` block is also lexed with the ML Pygments lexer, which must not report an
    error token.

``ml-repl`` blocks
    A REPL transcript: the lines after a prompt (``ml[secure]> ``, ``... ``) are what the user
    typed, every other line what the REPL printed. The typed lines are fed to ``mlpy repl``
    (without a terminal, so it prints no prompts) and its output must be the other lines.
    ``args="..."`` adds options, ``cwd="path"`` runs it in a folder (``copy="true"``: in a
    copy of it, for sessions that change files). Timings, sizes and clock times (``9.8 ms``,
    ``2.1 MB``, ``14:02:11``) are compared as shapes, since they differ from run to run.

``console`` blocks
    Each line starting with ``$ mlpy`` or ``$ python`` is run (``mlpy`` as ``python -m
    mlpy``), from the repository root or from ``cwd="path"`` given after the fence's
    language; the lines up to the next ``$`` line are its expected output (stdout then
    stderr). A ``[exit N]`` line states a non-zero exit status. Other commands (installation,
    say) belong in ``bash`` blocks, which are not run.

No block is skipped: a page that shows code shows code that works.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pygments.token import Error
from pytest_examples import CodeExample, EvalExample, find_examples

import mlpy
from mlpy.integration.pygments_lexer import MLLexer

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts) + [ROOT / "README.md"]

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_SETTING = re.compile(r"""(\w+)=(["'])(.*?)\2""")


@dataclass
class Block:
    """One fenced block of a page: its language, fence settings and text."""

    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    settings: dict[str, str]
    source: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def fenced_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown page (a fence closes on the same character, at least as
    long as the opener; blocks do not nest)."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").split("\n")
    index = 0
    while index < len(lines):
        opener = _FENCE.match(lines[index])
        if not opener or "`" in opener["info"] and opener["fence"][0] == "`":
            index += 1
            continue
        fence, indent = opener["fence"], len(opener["indent"])
        info = opener["info"].strip()
        language, _, rest = info.partition(" ")
        body: list[str] = []
        end = index + 1
        while end < len(lines):
            closer = _FENCE.match(lines[end])
            if closer and closer["fence"][0] == fence[0] and len(closer["fence"]) >= len(fence) \
                    and not closer["info"].strip():
                break
            body.append(lines[end][indent:] if lines[end][:indent].isspace() else lines[end])
            end += 1
        settings = {key: value for key, _, value in _SETTING.findall(rest)}
        blocks.append(Block(path, index + 1, language, settings, "\n".join(body) + "\n"))
        index = end + 1
    return blocks


ALL_BLOCKS = [block for page in PAGES for block in fenced_blocks(page)]
ML_BLOCKS = [block for block in ALL_BLOCKS if block.language == "ml"]
CONSOLE_BLOCKS = [block for block in ALL_BLOCKS if block.language == "console"]
REPL_BLOCKS = [block for block in ALL_BLOCKS if block.language == "ml-repl"]
PYTHON_EXAMPLES = list(find_examples(*PAGES))


# ----------------------------------------------------------------------------- python blocks


def orphan_outputs(source: str) -> list[int]:
    """Lines of ``#>`` comments that do not follow a ``print(...)`` call: pytest-examples
    would not check them (output that ML writes itself must be captured and printed)."""
    tree = ast.parse(source)
    print_ends = {
        node.end_lineno for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
    }
    lines = source.split("\n")
    orphans = []
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith("#>"):
            above = number - 1
            while above > 0 and lines[above - 1].strip().startswith("#>"):
                above -= 1
            if above not in print_ends:
                orphans.append(number)
    return orphans


@pytest.mark.parametrize("example", PYTHON_EXAMPLES, ids=str)
def test_python_block(example: CodeExample, eval_example: EvalExample) -> None:
    assert orphan_outputs(example.source) == [], f"{example}: '#>' lines without a print"
    if eval_example.update_examples:
        eval_example.run_print_update(example)
    else:
        eval_example.run_print_check(example)


# ----------------------------------------------------------------------------- ml blocks


@dataclass
class Expectation:
    output: str = ""
    error: str | None = None
    lines: list[str] = field(default_factory=list)


def expectation(source: str) -> Expectation:
    """The ``//>`` output lines and ``//!`` error lines of an ML block."""
    found = Expectation()
    errors: list[str] = []
    for line in source.split("\n"):
        for marker, store in (("//>", found.lines), ("//!", errors)):
            position = line.find(marker)
            if position >= 0:
                text = line[position + len(marker):]
                store.append(text[1:] if text.startswith(" ") else text)
    found.output = "".join(line + "\n" for line in found.lines)
    found.error = "\n".join(errors) if errors else None
    return found


@pytest.mark.parametrize("block", ML_BLOCKS, ids=str)
def test_ml_block(block: Block) -> None:
    expected = expectation(block.source)
    grants = block.settings.get("grant", "").split()
    result = mlpy.execute(block.source, filename="example.ml", capture_output=True,
                          capabilities=grants)
    if expected.error is None:
        assert result.ok, f"{block}: the block failed:\n{result.error}"
    else:
        assert not result.ok, f"{block}: the block should fail with:\n{expected.error}"
        assert expected.error in str(result.error), (
            f"{block}: the error report differs.\nexpected (part):\n{expected.error}\n"
            f"actual:\n{result.error}"
        )
    assert (result.stdout or "") == expected.output, f"{block}: the output differs"


@pytest.mark.parametrize("block", ML_BLOCKS, ids=str)
def test_ml_block_highlights(block: Block) -> None:
    errors = [value for token, value in MLLexer().get_tokens(block.source) if token is Error]
    assert errors == [], f"{block}: the ML lexer cannot read {errors}"


@pytest.mark.parametrize("path", sorted((ROOT / "examples").rglob("*.ml")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_example_files_highlight(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    errors = [value for token, value in MLLexer().get_tokens(text) if token is Error]
    assert errors == [], f"{path}: the ML lexer cannot read {errors}"


def test_pages_have_ml_blocks() -> None:
    """The collector finds the blocks (a change of fence syntax must not silence the tests)."""
    assert len(ML_BLOCKS) > 50
    assert any(expectation(b.source).error for b in ML_BLOCKS)


# ----------------------------------------------------------------------------- console blocks


def console_commands(block: Block) -> list[tuple[str, str, int]]:
    """(command, expected output, expected exit status) for each ``$`` line of a block."""
    commands: list[tuple[str, list[str], int]] = []
    for line in block.source.rstrip("\n").split("\n"):
        if line.startswith("$ "):
            commands.append((line[2:], [], 0))
        elif commands:
            status = re.fullmatch(r"\[exit (\d+)\]", line.strip())
            if status:
                command, output, _ = commands[-1]
                commands[-1] = (command, output, int(status.group(1)))
            else:
                commands[-1][1].append(line)
    return [(c, "".join(o + "\n" for o in out), s) for c, out, s in commands]


RUNNERS = {"mlpy": [sys.executable, "-m", "mlpy"], "python": [sys.executable]}


@pytest.mark.parametrize("block", CONSOLE_BLOCKS, ids=str)
def test_console_block(block: Block) -> None:
    cwd = ROOT / block.settings.get("cwd", ".")
    commands = console_commands(block)
    assert commands, f"{block}: a console block needs at least one '$ ' command line"
    for command, output, status in commands:
        argv = shlex.split(command)
        assert argv[0] in RUNNERS, f"{block}: only {sorted(RUNNERS)} run here; use a bash block"
        env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
        path = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        done = subprocess.run([*RUNNERS[argv[0]], *argv[1:]], cwd=cwd, capture_output=True,
                              text=True, timeout=60,
                              env={**env, "NO_COLOR": "1", "PYTHONPATH": path})
        assert done.stdout + done.stderr == output, f"{block}: output of `{command}`"
        assert done.returncode == status, f"{block}: exit status of `{command}`"


# ----------------------------------------------------------------------------- REPL transcripts

_PROMPT = re.compile(r"^(ml(\[[a-z,]+\])?> |\.\.\. ?)")


def transcript(block: Block) -> tuple[str, str]:
    """(what the user typed, what the REPL printed) of an ``ml-repl`` block: lines after a
    prompt (``ml[secure]> `` or ``... ``) are input, every other line is output."""
    typed, printed = [], []
    for line in block.source.rstrip("\n").split("\n"):
        prompt = _PROMPT.match(line)
        if prompt:
            typed.append(line[prompt.end():])
        else:
            printed.append(line)
    return "".join(t + "\n" for t in typed), "".join(p + "\n" for p in printed)


# Timings, sizes and clock times differ from run to run: compared as shapes.
_MEASURES = re.compile(r"\b\d+(\.\d+)? ?(ms|µs|s|B|KB|MB|GB)\b|\b\d\d:\d\d:\d\d\b")


def _shape(text: str) -> str:
    return _MEASURES.sub("#", text)


@pytest.mark.parametrize("block", REPL_BLOCKS, ids=str)
def test_repl_transcript(block: Block, tmp_path: Path) -> None:
    """An ``ml-repl`` block is a REPL session: its input, fed to ``mlpy repl`` (options from
    ``args="..."``, folder from ``cwd="..."``), prints exactly its output lines (both streams,
    in order)."""
    typed, printed = transcript(block)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLPY_")}
    cwd = ROOT / block.settings.get("cwd", ".")
    if block.settings.get("copy") == "true":  # the session changes files: work on a copy
        cwd = Path(shutil.copytree(cwd, tmp_path / cwd.name))
    done = subprocess.run(
        [*RUNNERS["mlpy"], "repl", "--no-history", *shlex.split(block.settings.get("args", ""))],
        input=typed, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=60, env={**env, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    assert _shape(done.stdout) == _shape(printed), f"{block}: the REPL printed something else"


# ----------------------------------------------------------------------------- consistency


def test_every_builtin_is_documented() -> None:
    """The builtins page lists exactly the builtins of the runtime."""
    from mlpy.runtime.builtins import BUILTINS

    page = (DOCS / "language" / "builtins.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(\w+)\(", page, flags=re.M))
    assert listed == set(BUILTINS)
    assert len(BUILTINS) == 46


def test_every_error_class_is_documented() -> None:
    """The API page names every public error class with its code."""
    page = (DOCS / "api.md").read_text(encoding="utf-8")
    for name in mlpy.__all__:
        value = getattr(mlpy, name)
        if isinstance(value, type) and issubclass(value, mlpy.MLError):
            assert f"`{name}`" in page, f"{name} is missing from docs/api.md"
            assert f"`{value.code}`" in page, f"the code of {name} is missing from docs/api.md"


def test_ml_lexer_is_a_pygments_plugin() -> None:
    from pygments.lexers import get_lexer_by_name

    assert isinstance(get_lexer_by_name("ml"), MLLexer)


def test_ml_lexer_knows_the_grammar_keywords_and_the_builtins() -> None:
    from mlpy.integration import pygments_lexer as lexer
    from mlpy.runtime.builtins import BUILTINS

    grammar = (ROOT / "mlpy" / "language" / "grammar.lark").read_text(encoding="utf-8")
    words = set(re.findall(r'"([a-z]+)"', grammar))
    assert words == set(lexer.KEYWORDS) | set(lexer.DECLARATIONS) | {"true", "false"}
    assert set(lexer.BUILTINS) == set(BUILTINS) | {"builtin"}
