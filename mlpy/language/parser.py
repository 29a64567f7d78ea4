"""Source text to ML syntax tree, with syntax errors that say what was expected and where.

Programs are parsed by :mod:`mlpy.language.lalr` with the tables shipped in the package
(generated from the grammar by lark, see :mod:`mlpy.language.tables`), so neither a compile
nor a new process builds or imports lark. Lark parses where that parser stops: a syntax
error (lark's exceptions are what the messages below are made from), or all the time when the
shipped tables do not match the grammar.

The lark parser is built once per process, when first needed. Its tables are pickled in the
user cache directory (``MLPY_CACHE_DIR``, else ``~/.cache/mlpy``), keyed by a hash of the
grammar and the lark version, so a new process loads them instead of rebuilding them. Nothing
is ever written next to user sources; if the cache directory is not writable the tables are
simply rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from pathlib import Path

from typing import TYPE_CHECKING, Any

from mlpy.errors import Diagnostic, MLSyntaxError, Span, clip_text
from mlpy.language import ast, lalr, tables
from mlpy.language.transform import ToAST, TreeError

if TYPE_CHECKING:
    import lark
    from lark.exceptions import UnexpectedInput

_logger = logging.getLogger("mlpy.compiler")
_lock = threading.Lock()
_parser: lark.Lark | None = None
# The parser of the shipped tables; False once they were found unusable (lark parses).
_fast: lalr.Parser | None | bool = None

def _read_grammar() -> str:
    """grammar.lark, read next to this module (importlib.resources, a few milliseconds of
    imports, only where the package is not a directory: a zip)."""
    try:
        return Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8")
    except OSError:
        from importlib import resources

        return resources.files("mlpy.language").joinpath("grammar.lark").read_text(
            encoding="utf-8")


GRAMMAR = _read_grammar()
GRAMMAR_VERSION = hashlib.sha256(GRAMMAR.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    configured = os.environ.get("MLPY_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlpy"


# Whether the parser's tables are read from and written to cache_dir(); `mlpy run
# --no-cache` turns it off before the first parse, to run as if no cache existed.
DISK_CACHE = True


def _lark_builder() -> Any:
    """ToAST as the lark transformer of the parser (its methods take the children inline)."""
    from lark import Transformer, v_args

    methods = {name: value for name, value in vars(ToAST).items()
               if not name.startswith("__")}
    return v_args(inline=True)(type("LarkToAST", (Transformer,), methods))()


def _build() -> lark.Lark:
    import lark

    options = dict(parser="lalr", lexer="contextual", maybe_placeholders=True,
                   transformer=_lark_builder())
    cache_file = cache_dir() / f"grammar-{GRAMMAR_VERSION}-lark{lark.__version__}.pickle"
    start = time.perf_counter()
    if not DISK_CACHE:
        parser = lark.Lark(GRAMMAR, **options)
        _logger.debug("parser built without its cache in %.3f s", time.perf_counter() - start)
        return parser
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        parser = lark.Lark(GRAMMAR, cache=str(cache_file), **options)
    except OSError as error:
        _logger.warning("the parser cache %s is unusable (%s): the parser tables are built "
                        "at every start", cache_file.parent, error.strerror or error)
        parser = lark.Lark(GRAMMAR, **options)
    _logger.debug("parser ready in %.3f s (grammar %s)", time.perf_counter() - start,
                  GRAMMAR_VERSION)
    return parser


def get_parser() -> lark.Lark:
    """The lark parser (built on first use)."""
    global _parser
    if _parser is None:
        with _lock:
            if _parser is None:
                _parser = _build()
    return _parser


def fast_parser() -> lalr.Parser | None:
    """The parser of the shipped tables, or None when they are stale or damaged."""
    global _fast
    if _fast is None:
        with _lock:
            if _fast is None:
                shipped = tables.load(GRAMMAR)
                if shipped is None:
                    _logger.warning("the shipped parser tables do not match the grammar: "
                                    "lark parses (run python -m mlpy.language.tables)")
                _fast = False if shipped is None else _checked(lalr.Parser(shipped, ToAST()))
    return _fast or None


def _checked(parser: lalr.Parser) -> lalr.Parser | bool:
    """``parser`` if it parses a program that reaches every kind of statement as expected."""
    try:
        program = parser.parse(_PROBE)
    except Exception:  # noqa: BLE001 - tables that cannot parse it are not used
        return False
    return parser if [type(item).__name__ for item in program.body] == _PROBE_KINDS else False


_PROBE = ("import a.b as c; capability k { resource 'r'; allow net 'z'; } x = [1, -2.5] + "
          "{a: 1}[\"a\"] * f(y)(z) // 2; function f(a, b: c) { nonlocal n; if (!a) { "
          "return; } elif (a < 1 && b) { throw e; } else { for (i in x) { break; } } "
          "while (true) { continue; } try { g = fn(x) => x ? 1 : s[1:2:3]; } except (e) { } "
          "finally { } return o.if; }")
_PROBE_KINDS = ["Import", "CapabilityDecl", "Assign", "FunctionDef"]


def parse(source: str, filename: str = "<string>") -> ast.Program:
    """Parse ML ``source``; raise :class:`MLSyntaxError` pointing at the first problem."""
    fast = fast_parser()
    small = False
    try:
        if fast is not None:
            program, tokens, blocks = fast.parse_counting(source)
            small = _too_small_to_nest(tokens, blocks)
        else:
            program = _lark_parse(source, filename)
    except lalr.Reject:
        program = _lark_parse(source, filename)  # raises the syntax error, saying what
    except TreeError as error:
        raise _error(error.message, error.span, [error.hint] if error.hint else [], source,
                     filename) from None
    problem = None if small else _nesting_problem(program)
    if problem is not None:
        raise _error(*problem, source, filename)
    return program


def _lark_parse(source: str, filename: str) -> ast.Program:
    from lark.exceptions import UnexpectedInput

    parser = get_parser()
    try:
        return parser.parse(source)
    except UnexpectedInput as error:
        raise _syntax_error(error, source, filename, parser) from None


# The passes after parsing recurse over the tree, and Python's compiler over the code made
# from it, so nesting is bounded here, with a clear error, rather than by a recursion limit.
MAX_DEPTH = 128
# Python compiles at most 20 loops and `try` statements inside one another in one function.
MAX_BLOCKS = 20


def _too_small_to_nest(tokens: int, blocks: int) -> bool:
    """Whether a program of ``tokens`` tokens, ``blocks`` of them ``while``, ``for`` or
    ``try``, is too small to nest too deeply, so that the walk below can be skipped (it
    costs more than parsing a one-line program). Each level of the walk is a node, and a
    node holds at least one token more than its child, or wraps it (a statement around an
    expression, an ``elif`` branch): three levels a token is a wide margin over the one
    level a token measured on every program of the test suite. A ``try`` costs at most four
    blocks, a loop one."""
    return 3 * tokens + 3 <= MAX_DEPTH and 4 * blocks <= MAX_BLOCKS


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
            # the body is guarded twice; a handler runs inside both guards and the clause
            # that notes a limit on its way to the finally block
            return 4 if node.handlers else 3
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
        handlers = guarded + (2 if node.final is not None else 1)
        return [(node.body, depth + 1, 0, guarded), (node.handlers, depth + 1, 0, handlers),
                (node.final, depth + 1, 0, blocks + 1)]
    links = _links(node)
    entries = []
    for name in _fields(kind):
        child = getattr(node, name)
        if not isinstance(child, _WALKED):  # a name, a number, an operator: no nesting
            continue
        if kind is ast.Call and name == "callee" and type(child) is ast.Member:
            child = child.target  # `o.m(...)` is one step from `o`
        if links and (child is links[0] or child is links[-1]):
            step = position + 1
            back = ast.CHAIN_STEP if step % ast.CHAIN_STEP == 0 else 0
            entries.append((child, depth + 1 - back, step, blocks))
        else:
            entries.append((child, depth + 1, 0, blocks))
    return entries


_WALKED = (ast.Node, list, tuple)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    """The fields of a node class that may hold nodes (not its spans)."""
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(name for name in kind.__slots__
                                       if name != "span" and not name.endswith("_span"))
    return fields


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
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    hints: list[str] = []
    if isinstance(error, UnexpectedCharacters):
        char = source[error.pos_in_stream] if error.pos_in_stream < len(source) else ""
        span = Span.point(error.line, error.column)
        message = f"unexpected character {char!r}"
        if char in "\"'":
            message = "unterminated string"
            hints.append(f"close the string with a matching {char}")
        else:
            hint = _character_hint(char, source[error.pos_in_stream:error.pos_in_stream + 3])
            hints.extend([hint] if hint else [])
        return _error(message, span, hints, source, filename)

    if isinstance(error, UnexpectedEOF):
        span = _previous_token_end(source, len(source)) or Span(1, 1, 1, 1)
        expected = _expected(set(error.expected), parser)
        message = "unexpected end of input"
        if expected:
            message += f", expected {' or '.join(expected)}"
        hints.append(_end_hint(error, set(error.expected)))
        return _error(message, span, [h for h in hints if h], source, filename)

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
    next_line = False
    if "SEMICOLON" in expected_names:
        before_end = _previous_token_end(source, token.start_pos)
        next_line = token.type == "$END" or (before_end is not None
                                             and before_end.line < token.line)
        if token.type != "$END" and next_line:
            span = before_end
            message = "missing `;` at the end of the statement"
    before = source[:token.start_pos].rstrip()
    word = next((w for w in ("import", "capability") if before.endswith(w)
                 and not (before[:-len(w)][-1:].isalnum() or before[:-len(w)][-1:] == "_")), None)
    if token.type in ("IMPORT", "CAPABILITY") or word:
        word = word or token.value
        message = f"`{word}` is only allowed at the top level of a program"
        hints.append(f"move the `{word}` out of the block, to the top of the file")
    elif token.type == "SEMICOLON" and before.endswith("}"):
        message = "unexpected `;` after a block"
        hints.append("a block `{ ... }` is not followed by `;`")
    else:
        if token.type == "$END":
            hint = _end_hint(error, expected_names)
        else:
            hint = _habit_hint(token, before, source[token.start_pos:token.start_pos + 20],
                               expected_names)
        if hint is None and "SEMICOLON" in expected_names and (
                next_line or token.type in _STATEMENT_STARTS):
            hint = "every ML statement ends with `;`"
        hints.extend([hint] if hint else [])
    return _error(message, span, hints, source, filename)


# Habits from other languages (and ML's own traps), recognised by the unexpected token, the
# text around it and what the parser expected instead. A hint names what ML writes instead;
# there is one only where ML really lacks what was written.

_MEMBERSHIP = ("ML has no `in` operator: test membership with `arr.count(x) > 0` or "
               "`collections.contains(arr, x)` for an array, `s.find(part) >= 0` for a string, "
               "`json.hasKey(o, key)` for an object")
_STEP = "ML has no `++`, `--` or `+=`: write `x = x + 1;`"
_BITWISE = "ML has no bitwise operators"
_WORDS = {  # the word just before the unexpected token
    "let": "ML has no `let`: assign directly, `name = value;`",
    "var": "ML has no `var`: assign directly, `name = value;`",
    "const": "ML has no `const`: assign directly, `name = value;`",
    "def": "ML defines a function with `function name(a, b) { ... }`",
    "lambda": "ML writes an anonymous function `fn(x) => x + 1`",
    "not": "ML writes `!value`",
    "class": "ML has no classes: build objects with `{key: value}`, functions as values",
    "new": "ML has no classes or `new`: build objects with `{key: value}`",
    "typeof": "typeof is a function: typeof(value)",
    "delete": "ML cannot delete a key: build a new object without it",
    "print": "print is a function: `print(value);`",
}
_CALL_LIKE = {  # `word (...)` just before an unexpected `{`: a construct ML lacks, parsed as a call
    "function": "an anonymous function is `fn(x) => x + 1` or `fn(x) => { ... }`",
    "catch": "ML catches errors with `except (e) { ... }`",
    "switch": "ML has no `switch`: write `if (...) { ... } elif (...) { ... } else { ... }`",
}
_CALL_BEFORE = re.compile(r"\b(\w+)\s*\([^()]*\)$")


# Tokens that start a statement (or end a block): after a complete statement, a missing `;`.
_STATEMENT_STARTS = frozenset({"NAME", "IF", "WHILE", "FOR", "RETURN", "RBRACE"})


def _habit_hint(token, before: str, after: str, expected: set[str]) -> str | None:
    found = token.value
    tail = before[-200:]  # enough to recognise what comes before; no scan of a huge source
    word = re.search(r"[A-Za-z_]\w*$", tail)
    last = word.group() if word else ""
    if expected == {"IN"}:
        return ("ML's `for` goes through the items of a sequence: `for (x in items) { ... }`; "
                "count with `for (i in range(n)) { ... }`")
    if found == "=" and tail.endswith(("==", "!=")):
        return "ML compares with `==` and `!=`: there is no `===` or `!==`"
    if found == "=" and after.startswith("=>"):
        return "an arrow function starts with `fn`: `fn(x) => x * 2`"
    if found == "=" and "SEMICOLON" not in expected:
        if tail[-1:] in "+-*/%":
            return _STEP if tail.endswith("+") else \
                "ML has no compound assignment: write `x = x + y;`"
        return "assignment is a statement: `name = value;`"
    if found == "*" and tail.endswith("*"):
        return "ML has no `**`: use math.pow(x, y)"
    if (found == "+" and (tail.endswith("+") or after.startswith("++"))) or (
            found == "-" and tail.endswith("-")) or (
            found in (";", ")") and tail.endswith(("++", "--"))):
        return _STEP
    if found in ("<", ">") and tail.endswith(found):
        return _BITWISE
    if found == "in":
        return _MEMBERSHIP
    if found in ("and", "or"):
        return f"ML writes `{'&&' if found == 'and' else '||'}`"
    if found == "instanceof":
        return "ML has no `instanceof`: compare typeof(value)"
    if found == "if" and last == "else":
        return "write `elif (...) { ... }` instead of `else if`"
    if found == "?" and tail.endswith("?"):
        return "ML has no `??`: write `x != null ? x : other` (or `x || other`)"
    if found == "." and tail.endswith("?"):
        return "ML has no `?.`: test `x != null` first"
    if found == "." and after.startswith("..."):
        return "ML has no spread `...`: join arrays with `+`"
    if found in (")", "]", "}") and tail.endswith(","):
        return "ML allows no trailing comma: remove the last `,`"
    if token.type == "STRING" and tail[-1:] in "\"'":
        return "strings next to each other are not joined: put `+` between them"
    if found == "{":
        call = _CALL_BEFORE.search(tail)
        if call and call.group(1) in _CALL_LIKE:
            return _CALL_LIKE[call.group(1)]
        if last == "do":
            return "ML has no `do ... while`: write `while (true) { ... if (!test) { break; } }`"
    if last in _WORDS and last not in ("function", "catch", "switch"):
        return _WORDS[last]
    if expected == {"LPAR"} and last in ("if", "elif", "while", "for"):
        shape = "for (x in items)" if last == "for" else f"{last} (test)"
        return f"the `{last}` part goes in parentheses: `{shape} {{ ... }}`"
    if expected == {"LBRACE"}:
        if found == ":":
            return "a block is written in braces, not after `:`: `if (test) { ... }`"
        return "a block needs braces, even around one statement: `{ ... }`"
    if found == "," and expected <= _AFTER_STATEMENT:
        return "ML has no comma operator: end each statement with `;`"
    if found == ";" and tail.endswith(";"):
        return "ML has no empty statement: remove the extra `;`"
    if found in ("for", "if") and tail and tail[-1] not in ";{}" and not after[
            len(found):].lstrip().startswith("("):  # in an expression, not a statement
        if found == "for":
            return "ML has no comprehensions: use a `for` loop, or collections.map and filter"
        return "ML writes a conditional expression `test ? a : b`"
    line = tail[tail.rfind("\n") + 1:]
    if _comment_start(line) is not None:  # a comment would have run to the end of the line
        return "after a value `//` divides (floor division): end the statement with `;` " \
               "before a `//` comment"
    return None


_CLOSING = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}


def _end_hint(error: UnexpectedInput, expected: set[str]) -> str | None:
    """For input that ends too early: the bracket left open, else the missing `;`."""
    from lark import Token

    parser = getattr(error, "interactive_parser", None)
    opened: list[Token] = []
    for value in parser.parser_state.value_stack if parser is not None else ():
        if isinstance(value, Token) and value.type in _CLOSING:
            opened.append(value)
        elif isinstance(value, Token) and opened and value.type == _CLOSING[opened[-1].type]:
            opened.pop()
    if opened:
        token = opened[-1]
        return f"the `{token.value}` at line {token.line}, column {token.column} is not closed"
    return "every ML statement ends with `;`" if "SEMICOLON" in expected else None


# What may follow a complete expression statement: an operator or its end.
_AFTER_STATEMENT = frozenset({"SEMICOLON", "AND_OP", "OR_OP", "EQ_OP", "REL_OP", "PLUS", "MINUS",
                              "MUL_OP", "DOT", "LPAR", "LSQB", "EQUAL", "QMARK"})


def _character_hint(char: str, text: str) -> str | None:
    """A hint for a character that no ML token starts with (``text`` starts with it)."""
    if char in "&|":
        return "ML's logical operators are `&&` and `||`; there are no bitwise operators"
    if char in "^~":
        return _BITWISE
    if text == "===":
        return "ML compares with `==` and `!=`"
    if char == "`":
        return "ML has no template strings: build text with `+` or `%` formatting"
    if char == "#":
        return "ML comments start with `//`"
    return None
