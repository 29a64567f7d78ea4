"""Tab completion for the REPL, from what the session really has (no hard-coded lists).

What is offered depends on where the cursor is:

- a dot-command at the start of a primary line: the command names of the command table;
  after the command word, its argument (module names, directories, capability names or
  history indices);
- after ``import``: every module the session's registry can import;
- after ``name.`` where ``name`` is an imported module: the members its description exposes
  (functions, constants, classes), for ML modules as well;
- anywhere else: the session's own names, then the builtin functions, the imported module
  bindings, the ML keywords (read from the grammar) and, last, the other importable modules.

:func:`candidates` returns each completion with the offset of the text it replaces and a short
meta text (``fn``, ``const``, ``function``, ``keyword``...); :func:`completions` returns only the
words. Completion never raises: a module that cannot be described simply offers nothing.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from mlpy.repl.session import MLREPLSession

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_WORD = re.compile(_NAME + r"\Z")
_PARTIAL = re.compile(r"[A-Za-z0-9_]*\Z")
# `import a.b` being typed: the statement starts at the input's start or after ; { }.
_IMPORT = re.compile(r"(?:\A|[;{}])\s*import\s+(" + _NAME + r"(?:\." + _NAME + r")*\.?)?\Z")
# `chain.partial` with nothing name-like or a dot right before the chain.
_MEMBER = re.compile(r"(?<![\w.])(" + _NAME + r"(?:\." + _NAME + r")*)\.([A-Za-z0-9_]*)\Z")

# What the first argument of a command is (B5). Commands not listed take free text.
ARGUMENT_KINDS = {
    "modinfo": "module", "reload": "module", "watch": "module", "unwatch": "module",
    "addpath": "directory", "addmlpath": "directory",
    "grant": "capability", "revoke": "granted", "edit": "history", "callback": "function",
}


@dataclass(frozen=True)
class Candidate:
    """One completion: ``text`` replaces ``text[start:cursor]`` of the input."""

    text: str
    start: int
    meta: str = ""


def completions(session: "MLREPLSession", text: str, cursor: int | None = None) -> list[str]:
    """The words that can complete ``text`` at ``cursor`` (default: its end), best first."""
    return [c.text for c in candidates(session, text, cursor)]


def candidates(session: "MLREPLSession", text: str,
               cursor: int | None = None) -> list[Candidate]:
    """Like :func:`completions`, with where each replacement starts and its meta text."""
    cursor = len(text) if cursor is None else max(0, min(cursor, len(text)))
    before = text[:cursor]
    try:
        found = _complete(session, before)
    except Exception:  # noqa: BLE001 - completing must never break the prompt
        return []
    seen: set[str] = set()
    unique = []
    for candidate in found:
        if candidate.text not in seen:
            seen.add(candidate.text)
            unique.append(candidate)
    return unique


def _complete(session: "MLREPLSession", before: str) -> list[Candidate]:
    stripped = before.lstrip()
    if stripped.startswith(".") and "\n" not in before:
        return _command(session, before, len(before) - len(stripped))
    if _in_string_or_comment(before):
        return []
    imported = _IMPORT.search(before)
    if imported:
        word = imported.group(1) or ""
        return _matching(_modules(session), word, len(before) - len(word))
    member = _MEMBER.search(before)
    if member:
        return _members(session, member.group(1), member.group(2),
                        len(before) - len(member.group(2)))
    partial = _PARTIAL.search(before).group(0)
    if not partial or partial[0].isdigit():
        return []
    if before[:len(before) - len(partial)].rstrip().endswith("."):
        return []  # a member of something that is not an imported module
    return _names(session, partial, len(before) - len(partial))


# ----------------------------------------------------------------------------- commands


def _command(session: "MLREPLSession", before: str, offset: int) -> list[Candidate]:
    from mlpy.repl.commands import ALIASES, COMMANDS, _register_all, lookup

    _register_all()

    line = before[offset:]
    if not re.search(r"\s", line):  # still typing the command word
        names = sorted({*COMMANDS, *ALIASES})
        summaries = {name: COMMANDS[ALIASES.get(name, name)].summary for name in names}
        word = line[1:].lower()
        return [Candidate("." + name, offset, summaries[name]) for name in names
                if name.startswith(word)]
    found = lookup(line[1:].split()[0])
    if found is None:
        return []
    kind = ARGUMENT_KINDS.get(found.name)
    args_text = line[len(line.split()[0]):]
    words = args_text.split()
    partial = "" if args_text[-1:].isspace() else words[-1]
    done = [w for w in (words if not partial else words[:-1]) if w != "-y"]
    if kind is None or done:  # only the first argument is completed
        return []
    start = len(before) - len(partial)
    if kind == "module":
        return _matching(_modules(session), partial, start)
    if kind == "directory":
        return _directories(partial, start)
    if kind == "capability":
        return _matching(((c, "capability") for c in _capabilities(session)), partial, start)
    if kind == "granted":
        granted = [(g.capability, g.origin) for g in getattr(session, "grants", ())]
        return _matching(granted, partial, start)
    if kind == "function":
        functions = [(name, "function") for name, what in getattr(session, "symbols", {}).items()
                     if what == "function"]
        return _matching(functions, partial, start)
    if kind == "history":
        entries = reversed(getattr(session, "history", ()))
        return [Candidate(str(e.index), start, _first_line(e.text)) for e in entries
                if str(e.index).startswith(partial)]
    return []


def _capabilities(session: "MLREPLSession") -> list[str]:
    """The capabilities the importable modules declare (what there is to grant)."""
    registry = session.registry
    found: set[str] = set()
    for name in registry.available():
        if registry.kind(name) == "ml":
            continue
        try:
            for member in registry.members(name) or ():
                found.update(registry.requirements(name, member))
        except Exception:  # noqa: BLE001 - a broken module declares nothing
            continue
    return sorted(found)


def _directories(partial: str, start: int) -> list[Candidate]:
    head, slash, tail = partial.rpartition("/")
    prefix = head + slash  # what the user typed of the directory, kept as typed
    try:
        entries = sorted(os.scandir(os.path.expanduser(prefix) or "."), key=lambda e: e.name)
    except OSError:
        return []
    return [Candidate(prefix + entry.name + "/", start, "dir") for entry in entries
            if entry.name.startswith(tail) and (tail.startswith(".") or
                                                not entry.name.startswith("."))
            and _is_dir(entry)]


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:40] if lines else ""


# ----------------------------------------------------------------------------- modules


def _modules(session: "MLREPLSession") -> list[tuple[str, str]]:
    registry = session.registry
    return [(name, registry.kind(name) or "") for name in registry.available()]


def _members(session: "MLREPLSession", chain: str, partial: str,
             start: int) -> list[Candidate]:
    head, _, rest = chain.partition(".")
    module = session.imports.get(head)
    if module is None:
        return []
    name = module + ("." + rest if rest else "")
    registry = session.registry
    found: list[tuple[str, str]] = []
    if registry.has(name):
        found += _described_members(registry, name)
    # A package: the modules under it (`import algorithms.search;` binds `algorithms`).
    prefix = name + "."
    found += sorted({(n[len(prefix):].split(".")[0], "module") for n in registry.available()
                     if n.startswith(prefix)})
    return _matching(found, partial, start)


def _described_members(registry, name: str) -> list[tuple[str, str]]:
    info = registry.info(name) or {}
    kinds: dict[str, str] = {}
    for key, meta in (("functions", "fn"), ("classes", "class"), ("constants", "const")):
        for member in info.get(key) or ():
            kinds.setdefault(member, meta)
    members = registry.members(name) or frozenset()
    return sorted((m, kinds.get(m, "prop")) for m in members | set(kinds)
                  if not m.startswith("_"))


# ----------------------------------------------------------------------------- names


def _names(session: "MLREPLSession", partial: str, start: int) -> list[Candidate]:
    from mlpy.runtime.builtins import BUILTINS

    groups: list[Iterable[tuple[str, str]]] = [
        sorted(session.symbols.items()),
        sorted((name, "builtin") for name in BUILTINS),
        sorted((name, "module") for name in session.imports),
        sorted((word, "keyword") for word in keywords()),
        _modules(session),
    ]
    found: list[Candidate] = []
    for group in groups:
        found += _matching(group, partial, start)
    return found


@functools.lru_cache(maxsize=1)
def keywords() -> tuple[str, ...]:
    """The ML keywords: every word-like literal of the grammar, plus ``null`` (a name the
    parser turns into the null literal)."""
    from mlpy.language import parser

    grammar = Path(parser.__file__).with_name("grammar.lark").read_text(encoding="utf-8")
    grammar = re.sub(r"^\s*//[^\n]*$", "", grammar, flags=re.M)
    words = set(re.findall(r'"([a-z][a-z_]*)"', grammar))
    return tuple(sorted(words | {"null"}))


def _matching(items: Iterable[tuple[str, str]], partial: str, start: int) -> list[Candidate]:
    return [Candidate(name, start, meta) for name, meta in items
            if name.startswith(partial) and not name.startswith("__")]


def _in_string_or_comment(before: str) -> bool:
    """Whether the end of ``before`` is inside a string or a ``//`` comment (a scan of the
    current line: strings cannot span lines in ML, and ``//`` right after an operand is floor
    division, as ML's lexer decides)."""
    line = before.rsplit("\n", 1)[-1]
    quote = None
    operand = False  # whether the last token ended an operand
    i = 0
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote, operand = None, True
        elif char in "\"'":
            quote = char
        elif line.startswith("//", i):
            if not operand:
                return True
            operand = False
            i += 1
        elif not char.isspace():
            operand = char.isalnum() or char in "_)]"
        i += 1
    return quote is not None
