"""Source text to ML syntax tree, with syntax errors that say what was expected and where.

One lark LALR parser is built per process, on first use. Its tables are pickled in the user
cache directory (``MLPY_CACHE_DIR``, else ``~/.cache/mlpy``), keyed by a hash of the grammar and
the lark version, so a new process loads them instead of rebuilding them. Nothing is ever written
next to user sources; if the cache directory is not writable the tables are simply rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import threading
from importlib import resources
from pathlib import Path

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from mlpy.errors import Diagnostic, MLSyntaxError, Span, clip_text
from mlpy.language import ast
from mlpy.language.transform import ToAST, TreeError

_lock = threading.Lock()
_parser: lark.Lark | None = None

GRAMMAR = resources.files("mlpy.language").joinpath("grammar.lark").read_text(encoding="utf-8")
GRAMMAR_VERSION = hashlib.sha256(GRAMMAR.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    configured = os.environ.get("MLPY_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlpy"


def _build() -> lark.Lark:
    options = dict(parser="lalr", lexer="contextual", maybe_placeholders=True,
                   transformer=ToAST())
    cache_file = cache_dir() / f"grammar-{GRAMMAR_VERSION}-lark{lark.__version__}.pickle"
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        return lark.Lark(GRAMMAR, cache=str(cache_file), **options)
    except OSError:
        return lark.Lark(GRAMMAR, **options)


def get_parser() -> lark.Lark:
    global _parser
    if _parser is None:
        with _lock:
            if _parser is None:
                _parser = _build()
    return _parser


def parse(source: str, filename: str = "<string>") -> ast.Program:
    """Parse ML ``source``; raise :class:`MLSyntaxError` pointing at the first problem."""
    parser = get_parser()
    try:
        program = parser.parse(source)
    except UnexpectedInput as error:
        raise _syntax_error(error, source, filename, parser) from None
    except TreeError as error:
        raise _error(error.message, error.span, [error.hint] if error.hint else [], source,
                     filename) from None
    problem = _nesting_problem(program)
    if problem is not None:
        raise _error(*problem, source, filename)
    return program


# The passes after parsing recurse over the tree, and Python's compiler over the code made
# from it, so nesting is bounded here, with a clear error, rather than by a recursion limit.
MAX_DEPTH = 128
# Python compiles at most 20 loops and `try` statements inside one another in one function.
MAX_BLOCKS = 20


def _nesting_problem(program: ast.Program) -> tuple[str, Span, list[str]] | None:
    """The first place the program nests too deeply, as (message, span, hints), if any.

    Nesting is what parentheses, brackets, arguments and blocks build. A chain (see
    ast.chain_link), a run of `+` joining text, an `elif` chain and a chain of ternaries
    `a ? x : b ? y : z` are flat: each counts CHAIN_STEP levels at most, however long it is,
    because the code generator breaks it into steps of that many links.
    """
    stack: list[tuple[object, int, int, int]] = [(program, 0, 0, 0)]
    while stack:
        item, depth, position, blocks = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend((child, depth, 0, blocks) for child in item)
            continue
        if not isinstance(item, ast.Node):
            continue
        if depth > MAX_DEPTH:
            return (f"the program is nested too deeply (more than {MAX_DEPTH} levels)",
                    item.span, ["split the expression or block with intermediate variables "
                                "or functions"])
        if isinstance(item, (ast.FunctionDef, ast.Arrow)):
            blocks = 0  # a function is compiled on its own
        elif blocks + _block_cost(item) > MAX_BLOCKS:
            word = "try" if isinstance(item, ast.Try) else "for" if isinstance(
                item, ast.For) else "while"
            span = Span(item.span.line, item.span.column, item.span.line,
                        item.span.column + len(word) - 1)
            return ("loops and `try` statements are nested too deeply here", span,
                    ["move the inner loops or `try` statements into a function"])
        stack.extend(_parts(item, depth, position, blocks))
    return None


def _block_cost(node: ast.Node) -> int:
    """How many of Python's nested blocks a statement takes (for its innermost part)."""
    if isinstance(node, (ast.While, ast.For)):
        return 1
    if isinstance(node, ast.Try):
        if node.final is not None:
            return 3  # the body is guarded twice, and the handler runs inside both guards
        return 2 if node.handlers else 0
    return 0


def _parts(node: ast.Node, depth: int, position: int, blocks: int) -> list[tuple]:
    """The walk's entries for the children of ``node``: (child, depth, position in a chain,
    blocks)."""
    kind = type(node)
    if kind is ast.If:
        entries: list[tuple] = []
        for index, branch in enumerate(node.branches):  # `elif` parts are a chain
            entries.append((branch, depth + 1 + index % ast.CHAIN_STEP, 0, blocks))
        last = depth + 1 + len(node.branches) % ast.CHAIN_STEP
        return entries + [(node.otherwise, last, 0, blocks)]
    if kind is ast.While or kind is ast.For:
        inside = blocks + 1
        return [(getattr(node, name), depth + 1, 0, inside if name == "body" else blocks)
                for name in node.__slots__]
    if kind is ast.Try:
        guarded = blocks + (2 if node.final is not None else 1 if node.handlers else 0)
        return [(node.body, depth + 1, 0, guarded), (node.handlers, depth + 1, 0, guarded + 1),
                (node.final, depth + 1, 0, blocks + 1)]
    links = _links(node)
    entries = []
    for name in node.__slots__:
        if name == "span" or name.endswith("_span"):
            continue
        child = getattr(node, name)
        if kind is ast.Call and name == "callee" and type(child) is ast.Member:
            child = child.target  # `o.m(...)` is one step from `o`
        if any(child is link for link in links):
            step = position + 1
            back = ast.CHAIN_STEP if step % ast.CHAIN_STEP == 0 else 0
            entries.append((child, depth + 1 - back, step, blocks))
        else:
            entries.append((child, depth + 1, 0, blocks))
    return entries


def _links(node: ast.Node) -> tuple[ast.Node, ...]:
    """The children through which ``node`` continues a flat chain."""
    link = ast.chain_link(node)
    if link is not None:
        return (link,)
    if type(node) is ast.Ternary and type(node.otherwise) is ast.Ternary:
        return (node.otherwise,)
    if type(node) is ast.Binary and node.joins_text:
        return tuple(side for side in (node.left, node.right) if ast.could_be_string(side)
                     and type(side) is ast.Binary)
    return ()


def _error(message: str, span: Span, hints: list[str], source: str, filename: str) -> MLSyntaxError:
    diagnostic = Diagnostic("MLS001", message, "error", "syntax", filename, span, list(hints))
    return MLSyntaxError(message, diagnostics=[diagnostic], file=filename, span=span,
                         source=source, hints=hints)


# ----------------------------------------------------------------------------- messages

_READABLE = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "$END": "the end of the input",
}


def _describe(terminal: str, parser: lark.Lark) -> str:
    if terminal in _READABLE:
        return _READABLE[terminal]
    try:
        pattern = parser.get_terminal(terminal).pattern
    except KeyError:
        return terminal
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return terminal.lower().replace("_", " ")


def _expected(names: set[str], parser: lark.Lark) -> list[str]:
    if {"NAME", "NUMBER", "STRING"} <= names:  # every expression start: say so in a word
        rest = {n for n in names if _describe(n, parser) in ("`)`", "`]`", "`}`")}
        return ["an expression", *sorted(_describe(n, parser) for n in rest)]
    described = sorted({_describe(n, parser) for n in names})
    # Long lists help nobody: show the punctuation that usually fixes the problem.
    if len(described) > 8:
        short = [d for d in described if d in ("`;`", "`)`", "`]`", "`}`", "`,`")]
        return short or described[:8]
    return described


def _previous_token_end(source: str, offset: int) -> Span | None:
    """The position just after the last token before ``offset`` (skips blanks and comments)."""
    lines = source[:offset].split("\n")
    while lines:
        text = lines[-1]
        comment = _comment_start(text)
        if comment is not None:
            text = text[:comment]
        stripped = text.rstrip()
        if stripped:
            line = len(lines)
            column = len(stripped) + 1
            return Span(line, column, line, column)
        lines.pop()
    return None


def _comment_start(text: str) -> int | None:
    quote = None
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif text.startswith("//", i):
            return i
        i += 1
    return None


def _syntax_error(error: UnexpectedInput, source: str, filename: str, parser: lark.Lark):
    hints: list[str] = []
    if isinstance(error, UnexpectedCharacters):
        char = source[error.pos_in_stream] if error.pos_in_stream < len(source) else ""
        span = Span.point(error.line, error.column)
        message = f"unexpected character {char!r}"
        if char in "\"'":
            message = "unterminated string"
            hints.append(f"close the string with a matching {char}")
        elif char in "&|":
            hints.append("ML's logical operators are `&&` and `||`; there are no bitwise operators")
        elif char == "=" and source[error.pos_in_stream:error.pos_in_stream + 3] == "===":
            hints.append("ML compares with `==` and `!=`")
        return _error(message, span, hints, source, filename)

    if isinstance(error, UnexpectedEOF):
        span = _previous_token_end(source, len(source)) or Span(1, 1, 1, 1)
        expected = _expected(set(error.expected), parser)
        message = "unexpected end of input"
        if expected:
            message += f", expected {' or '.join(expected)}"
        return _error(message, span, hints, source, filename)

    assert isinstance(error, UnexpectedToken)
    token = error.token
    expected_names = set(error.expected)
    if token.type == "$END":
        span = _previous_token_end(source, len(source)) or Span(1, 1, 1, 1)
        found = "end of input"
    else:
        span = Span(token.line, token.column, token.end_line or token.line,
                    max((token.end_column or token.column + 1) - 1, token.column))
        found = f"`{clip_text(token.value, 40)}`"
    expected = _expected(expected_names, parser)
    message = f"unexpected {found}"
    if expected:
        message += f", expected {' or '.join(expected)}"
    if "SEMICOLON" in expected_names and token.type != "$END":
        before = _previous_token_end(source, token.start_pos)
        if before is not None and before.line < token.line:
            span = before
            message = "missing `;` at the end of the statement"
            hints.append("every ML statement ends with `;`")
    before = source[:token.start_pos].rstrip()
    word = next((w for w in ("import", "capability") if before.endswith(w)
                 and not (before[:-len(w)][-1:].isalnum() or before[:-len(w)][-1:] == "_")), None)
    if token.type in ("IMPORT", "CAPABILITY") or word:
        word = word or token.value
        message = f"`{word}` is only allowed at the top level of a program"
        hints.append(f"move the `{word}` out of the block, to the top of the file")
    elif token.value == "if" and source[:token.start_pos].rstrip().endswith("else"):
        hints.append("write `elif (...) { ... }` instead of `else if`")
    elif token.value == "=" and "SEMICOLON" not in expected_names \
            and before[-1:] not in "+-*/%":
        hints.append("assignment is a statement: `name = value;`")
    elif token.type == "SEMICOLON" and source[:token.start_pos].rstrip().endswith("}"):
        message = "unexpected `;` after a block"
        hints.append("a block `{ ... }` is not followed by `;`")
    else:
        hint = _habit_hint(before, token.value)
        if hint:
            hints.append(hint)
    return _error(message, span, hints, source, filename)


# Habits from other languages, recognised by the text before the unexpected token.
_DECLARATIONS = ("let", "var", "const")


def _habit_hint(before: str, found: str) -> str | None:
    last = before.split()[-1] if before.split() else ""
    if before.endswith("*") and found == "*":
        return "ML has no `**`: use math.pow(x, y)"
    if (before.endswith("+") and found in ("+", "=")) or (before.endswith("-") and found == "-"):
        return "ML has no `++`, `--` or `+=`: write `x = x + 1;`"
    if found in ("=",) and before[-1:] in "+-*/%":
        return "ML has no compound assignment: write `x = x + y;`"
    if last in _DECLARATIONS:
        return f"ML has no `{last}`: assign directly, `name = value;`"
    if last == "typeof":
        return "typeof is a function: typeof(value)"
    if last == "new":
        return "ML has no classes or `new`: build objects with `{key: value}`"
    return None
