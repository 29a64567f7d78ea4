"""The parser tables: generated from grammar.lark with lark, shipped as a Python module.

Building the LALR tables of the grammar takes lark about 100 ms and loading lark's own
serialized form about 40 ms more, which every new process would pay at its first compile.
So the tables are generated once, by this module, into ``_parse_tables.py`` -- plain Python
literals that the interpreter loads from its bytecode cache -- and :mod:`mlpy.language.lalr`
parses with them, without lark.

The file says which grammar it was made from (a SHA-256 of grammar.lark) and carries a
SHA-256 of its own tables. :func:`load` checks both and returns None when either does not
match -- the grammar changed since, or the file is damaged -- and the parser then falls back
to lark, so a stale or corrupt table is never used. After changing the grammar, run::

    python -m mlpy.language.tables

(tests/language/test_parse_tables.py fails until the file is regenerated). Lark numbers the
parser states differently from one run to the next, so two runs write different files that
parse alike.

Everything lark decides is read from lark itself, not re-implemented: the parse table, the
terminals each parser state's contextual lexer tries (in lark's order, keywords left to the
``NAME`` terminal's keyword map exactly as lark's lexer does) and, per rule, which children
reach the transformer method (lark's child filter, ``maybe_placeholders``, ``?rule`` inlining).
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from typing import Any

FORMAT = 1
TABLES_FILE = Path(__file__).with_name("_parse_tables.py")


def grammar_sha(grammar: str) -> str:
    return hashlib.sha256(grammar.encode()).hexdigest()


def tables_sha(tables: dict[str, Any]) -> str:
    """A digest of the tables' content (their repr is deterministic: plain literals)."""
    return hashlib.sha256(repr(tables).encode()).hexdigest()


def load(grammar: str) -> dict[str, Any] | None:
    """The shipped tables if they were generated from ``grammar`` and are intact, else None."""
    try:
        shipped = importlib.import_module("mlpy.language._parse_tables")
        tables = shipped.TABLES
        if shipped.FORMAT != FORMAT or shipped.GRAMMAR_SHA != grammar_sha(grammar) \
                or shipped.TABLES_SHA != tables_sha(tables):
            return None
    except Exception:  # noqa: BLE001 - missing, damaged or stale: lark builds the parser
        return None
    return tables


def build(grammar: str) -> dict[str, Any]:
    """The tables of ``grammar``, read from the parser lark builds for it."""
    import lark
    from lark.parse_tree_builder import maybe_create_child_filter
    from lark.parsers.lalr_analysis import Shift

    parser = lark.Lark(grammar, parser="lalr", lexer="contextual", maybe_placeholders=True)
    frontend = parser.parser
    table = frontend.parser._parse_table
    rules = list(parser.rules)
    rule_index = {rule: i for i, rule in enumerate(rules)}

    actions: dict[int, dict[str, int]] = {}
    for state, row in table.states.items():
        actions[state] = {
            str(symbol): (arg if action is Shift else -1 - rule_index[arg])
            for symbol, (action, arg) in row.items()
        }

    lexers: list[tuple[tuple[str, ...], dict[str, str]]] = []
    lexer_of_state: dict[int, int] = {}
    seen: dict[int, int] = {}
    for state, lexer in frontend.lexer.lexers.items():
        if id(lexer) not in seen:
            seen[id(lexer)] = len(lexers)
            lexers.append(_lexer_entry(lexer))
        lexer_of_state[state] = seen[id(lexer)]
    assert sorted(actions) == list(range(len(actions))) == sorted(lexer_of_state)

    plans = []
    for rule in rules:
        options = rule.options
        made = maybe_create_child_filter(rule.expansion, options.keep_all_tokens, False,
                                         options.empty_indices)
        include, append = None, 0
        if made is not None:
            if made.func.__name__ == "ChildFilterLALR":
                include = tuple(tuple(entry) for entry in made.args[0])
                append = made.args[1]
            else:
                assert made.func.__name__ == "ChildFilterLALR_NoPlaceholders", made
                include = tuple((index, expand, 0) for index, expand in made.args[0])
        plans.append((
            str(rule.origin.name),
            len(rule.expansion),
            str(rule.alias or options.template_source or rule.origin.name),
            bool(options.expand1 and not rule.alias),
            include,
            append,
        ))

    return {
        "start": table.start_states["start"],
        "end": table.end_states["start"],
        "actions": [actions[state] for state in range(len(actions))],
        "lexer_of_state": tuple(lexer_of_state[state] for state in range(len(actions))),
        "lexers": lexers,
        "ignore": tuple(sorted(str(name) for name in parser.lexer_conf.ignore)),
        "rules": plans,
    }


def _lexer_entry(lexer: Any) -> tuple[tuple[str, ...], dict[str, str]]:
    """One contextual lexer as (its regular expressions, tried in order; the keyword map of
    the terminal that matches keywords)."""
    scanner = lexer.scanner  # builds it: lark's terminal order and keyword handling
    assert not scanner.g_regex_flags and not scanner.use_bytes
    patterns = tuple(str(mre.pattern) for mre in scanner._mres)
    keywords: dict[str, str] = {}
    for name, callback in lexer.callback.items():
        assert type(callback).__name__ == "UnlessCallback", (name, callback)
        for terminal in callback.scanner.terminals:
            assert terminal.pattern.type == "str" and not terminal.pattern.flags
            keywords[str(terminal.pattern.value)] = str(terminal.name)
        keywords["\0terminal"] = str(name)
    return patterns, dict(sorted(keywords.items()))


def render(grammar: str, tables: dict[str, Any]) -> str:
    lines = ["{"]
    for key, value in tables.items():
        if isinstance(value, list):  # one line per state, lexer or rule
            lines.append(f"    {key!r}: [")
            lines.extend(f"        {item!r}," for item in value)
            lines.append("    ],")
        else:
            lines.append(f"    {key!r}: {value!r},")
    lines.append("}")
    body = "\n".join(lines)
    return (
        '"""Parser tables generated from grammar.lark by ``python -m mlpy.language.tables``:\n'
        'do not edit (see mlpy/language/tables.py)."""\n'
        "# fmt: off\n"
        "# flake8: noqa\n"
        f"FORMAT = {FORMAT}\n"
        f"GRAMMAR_SHA = {grammar_sha(grammar)!r}\n"
        f"TABLES_SHA = {tables_sha(tables)!r}\n"
        f"TABLES = {body}\n"
    )


def main() -> None:
    from mlpy.language.parser import GRAMMAR

    TABLES_FILE.write_text(render(GRAMMAR, build(GRAMMAR)), encoding="utf-8")
    print(f"wrote {TABLES_FILE}")


if __name__ == "__main__":
    main()
