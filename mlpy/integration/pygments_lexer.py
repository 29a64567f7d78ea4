"""A Pygments lexer for ML, so ``.ml`` files and ```` ```ml ```` blocks are highlighted.

It is registered as the Pygments plugin ``ml`` (entry point group ``pygments.lexers``), so
``pygmentize -l ml rules.ml`` works once mlpy is installed, and Sphinx picks it up through
``app.add_lexer("ml", MLLexer)`` in ``docs/conf.py``.

The keywords are those of ``mlpy/language/grammar.lark``. One ML rule needs a little state:
``//`` right after a complete operand (a name, a number, a string, ``)`` or ``]``) is floor
division, anywhere else it starts a comment. The lexer enters the ``operand`` state after each
operand to tell the two apart, exactly as ML's contextual lexer does.
"""

from __future__ import annotations

import re

from pygments.lexer import Lexer, RegexLexer, bygroups, default, words
from pygments.token import (
    Comment, Generic, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace,
)

__all__ = ["MLLexer", "MLSessionLexer"]

KEYWORDS = (
    "function", "return", "if", "elif", "else", "while", "for", "in", "try", "except",
    "finally", "throw", "break", "continue", "nonlocal", "import", "as", "fn",
)
DECLARATIONS = ("capability", "resource", "allow")
CONSTANTS = ("true", "false", "null", "undefined")
BUILTINS = (
    "print", "input", "int", "float", "str", "bool", "repr", "format", "chr", "ord", "hex",
    "oct", "bin", "typeof", "isinstance", "callable", "len", "range", "enumerate", "zip",
    "sorted", "reversed", "keys", "values", "sum", "all", "any", "min", "max", "abs", "round",
    "iter", "next", "hasattr", "getattr", "methods", "call", "help", "modules",
    "available_modules", "has_module", "module_info", "hasCapability", "getCapabilities",
    "getCapabilityInfo", "requiredCapabilities", "builtin",
)

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
# Shapes that OCaml (the other language of "*.ml" files) does not have.
_ML_SHAPES = (
    re.compile(r"^\s*function\s+[A-Za-z_]\w*\s*\([^)]*\)\s*\{", re.M),
    re.compile(r"\bfn\s*\([^)]*\)\s*=>"),
    re.compile(r"^\s*\}\s*(elif|except)\b", re.M),
    re.compile(r"^\s*(print|import)\b[^\n]*;\s*$", re.M),
)
_ESCAPE = r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[ntr0\\\"'])"


class MLLexer(RegexLexer):
    """Lexer for ML, the scripting language of mlpy."""

    name = "ML (mlpy)"
    aliases = ["ml", "mlpy"]
    filenames = ["*.ml"]
    mimetypes = ["text/x-mlpy"]

    @staticmethod
    def analyse_text(text: str) -> float:
        """How much ``text`` looks like ML, so ``pygmentize -g`` prefers this lexer."""
        return min(1.0, 0.3 * sum(1 for shape in _ML_SHAPES if shape.search(text)))

    tokens = {
        "root": [
            (r"[ \t\f\r\n]+", Whitespace),
            (r"//[^\n]*", Comment.Single),
            # A member name after '.', keywords included: file.read, o.if.
            (r"(\.)(" + _IDENT + ")", bygroups(Punctuation, Name.Attribute), "operand"),
            # A keyword used as an object key: {if: 1}.
            (words(KEYWORDS + DECLARATIONS, suffix=r"(?=[ \t]*:)"), Name.Attribute),
            (words(("function",), suffix=r"\b"), Keyword.Declaration, "funcname"),
            (words(KEYWORDS, suffix=r"\b"), Keyword),
            (words(DECLARATIONS, suffix=r"\b"), Keyword.Declaration),
            (words(CONSTANTS, suffix=r"\b"), Keyword.Constant, "operand"),
            (words(BUILTINS, prefix=r"\b", suffix=r"\b"), Name.Builtin, "operand"),
            (_IDENT + r"(?=[ \t]*\()", Name.Function, "operand"),
            (_IDENT, Name, "operand"),
            (r"(\d+\.\d*|\.\d+)([eE][+-]?\d+)?", Number.Float, "operand"),
            (r"\d+[eE][+-]?\d+", Number.Float, "operand"),
            (r"\d+", Number.Integer, "operand"),
            (r'"', String.Double, ("operand", "dqs")),
            (r"'", String.Single, ("operand", "sqs")),
            (r"=>|==|!=|<=|>=|&&|\|\||[-+*/%<>=!?:]", Operator),
            (r"[)\]]", Punctuation, "operand"),
            (r"[(\[{},;]", Punctuation),
            (r".", Text),
        ],
        # Right after an operand: '//' is floor division, not a comment.
        "operand": [
            (r"([ \t\f\r\n]*)(//)", bygroups(Whitespace, Operator), "#pop"),
            default("#pop"),
        ],
        "funcname": [
            (r"[ \t]+", Whitespace),
            (_IDENT, Name.Function, "#pop"),
            default("#pop"),
        ],
        "dqs": [
            (r'"', String.Double, "#pop"),
            (_ESCAPE, String.Escape),
            (r'\\[^\n]', String.Double),
            (r'[^"\\]+', String.Double),
        ],
        "sqs": [
            (r"'", String.Single, "#pop"),
            (_ESCAPE, String.Escape),
            (r"\\[^\n]", String.Single),
            (r"[^'\\]+", String.Single),
        ],
    }


class MLSessionLexer(Lexer):
    """Lexer for REPL transcripts: prompt lines (``ml[secure]> ``, ``... ``) hold ML, every
    other line is the REPL's output, and ``Error:`` lines are errors."""

    name = "ML session (mlpy REPL)"
    aliases = ["ml-repl", "mlpy-repl"]
    mimetypes = ["text/x-mlpy-session"]

    def get_tokens_unprocessed(self, text: str):
        ml = MLLexer(**self.options)
        position = 0
        for line in text.splitlines(keepends=True):
            prompt = _PROMPT.match(line)
            if prompt:
                yield position, Generic.Prompt, prompt.group(0)
                for offset, token, value in ml.get_tokens_unprocessed(line[prompt.end():]):
                    yield position + prompt.end() + offset, token, value
            elif line.startswith(("Error:", "Tip:")):
                yield position, Generic.Error, line
            else:
                yield position, Generic.Output, line
            position += len(line)


_PROMPT = re.compile(r"ml(\[[a-z,]+\])?> |\.\.\. ")
