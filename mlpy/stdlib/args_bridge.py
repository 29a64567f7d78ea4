"""ML module ``args``: the host process's command line, and a small argument parser.

Reading the command line is an effect (it can carry paths, tokens, options of the host), so
``all()``, ``script()`` and ``rest()`` need ``args.read``, and so does ``ArgParser.parse()``
when it is given no array and parses the process's arguments. The arguments are the host
process's ``sys.argv`` as it is at the call, unless the host runs the program with arguments
of its own (:func:`program_arguments`: ``mlpy run FILE -- ARGS`` gives FILE and ARGS); a
sandbox worker shows the arguments of the host that sent the program, never its own command
line. Parsing an array the script built needs nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from mlpy.capabilities import require
from mlpy.ext import ml_class, ml_function, ml_module
from mlpy.runtime.values import display, typeof


# The command line programs see when it is not the process's (None: sys.argv).
_ARGUMENTS: ContextVar[tuple[str, ...] | None] = ContextVar("mlpy_program_arguments",
                                                            default=None)


def current_arguments() -> list[str]:
    """The command line a program run now sees: the one given to
    :func:`program_arguments`, else the host process's ``sys.argv``."""
    given = _ARGUMENTS.get()
    return list(given) if given is not None else [str(item) for item in sys.argv]


@contextmanager
def program_arguments(argv: Sequence[str]) -> Iterator[None]:
    """Programs run in the block see ``argv`` (the program first) as their command line."""
    if isinstance(argv, str) or not all(isinstance(item, str) for item in argv):
        raise TypeError("the program's arguments must be a sequence of strings")
    token = _ARGUMENTS.set(tuple(argv))
    try:
        yield
    finally:
        _ARGUMENTS.reset(token)


def _argv() -> list[str]:
    return current_arguments()


def _text(value: Any, what: str, empty: bool = False) -> str:
    if value is None and empty:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {typeof(value)}")
    return value


@ml_class("ParsedArgs", "The flags, options and positional arguments a parser found")
class ParsedArgs:
    def __init__(self, flags: dict[str, bool], options: dict[str, Any],
                 positionals: dict[str, Any], given: list[str]):
        self._flags, self._options, self._positionals = flags, options, positionals
        self._given = given  # the positional arguments found, in order

    def _ml_display(self) -> str:
        return (f"<ParsedArgs flags={display(self._flags)} options={display(self._options)} "
                f"positionals={display(self._positionals)}>")

    @ml_function("Whether a flag is set or an option or positional has a value")
    def has(self, name):
        return bool(self._flags.get(name)) or self._options.get(name) is not None \
            or self._positionals.get(name) is not None

    @ml_function("The value of an option, else a positional, else a flag; default when none")
    def get(self, name, default=None):
        for found in (self._options, self._positionals, self._flags):
            if found.get(name) is not None:
                return found[name]
        return default

    @ml_function("Whether a flag is set")
    def get_bool(self, name):
        return bool(self._flags.get(name, False))

    @ml_function("An object of every flag and whether it is set")
    def flags(self):
        return dict(self._flags)

    @ml_function("An object of every option and its value (null when not given)")
    def options(self):
        return dict(self._options)

    @ml_function("An array of the positional arguments given, in order")
    def positionals(self):
        return list(self._given)

    @ml_function("An object of every declared positional argument and its value (null when "
                 "not given)")
    def named_positionals(self):
        return dict(self._positionals)


@ml_class("ArgParser", "A description of a command line, to parse arrays of arguments with")
class ArgParser:
    def __init__(self, name: str, description: str):
        self._name, self._description = name, description
        self._flags: dict[str, tuple[str, str]] = {"help": ("h", "Show this help")}
        self._options: dict[str, tuple[str, str, Any]] = {}
        self._positionals: list[tuple[str, str, bool]] = []

    def _ml_display(self) -> str:
        return f"<ArgParser {self._name}>"

    def _taken(self, name: Any, short: Any) -> tuple[str, str]:
        name = _text(name, "name")
        short = _text(short, "short", empty=True)
        if not name or name.startswith("-"):
            raise ValueError(f"{name!r} is not a valid argument name (give it without dashes)")
        if len(short) > 1:
            raise ValueError(f"a short name is one character, not {short!r}")
        if name in self._flags or name in self._options \
                or any(p[0] == name for p in self._positionals):
            raise ValueError(f"the argument {name!r} is defined twice")
        if short and any(s == short for s, *_ in [*self._flags.values(),
                                                  *self._options.values()]):
            raise ValueError(f"the short name -{short} is used twice")
        return name, short

    @ml_function("Declare a flag --name (and -short): true when given; every parser has "
                 "-h/--help")
    def add_flag(self, name, short="", help=""):
        name, short = self._taken(name, short)
        self._flags[name] = (short, _text(help, "help", empty=True))
        return self

    @ml_function("Declare an option --name value, --name=value or -s value/-svalue, with a "
                 "default")
    def add_option(self, name, short="", help="", default=None):
        name, short = self._taken(name, short)
        self._options[name] = (short, _text(help, "help", empty=True), default)
        return self

    @ml_function("Declare the next positional argument")
    def add_positional(self, name, help="", required=False):
        name, _ = self._taken(name, "")
        self._positionals.append((name, _text(help, "help", empty=True), bool(required)))
        return self

    @ml_function("Parse an array of strings into a ParsedArgs (the process's arguments "
                 "without the first, which needs args.read, when argv is null)")
    def parse(self, argv=None):
        if argv is None:
            require("args.read")
            items = _argv()[1:]
        elif isinstance(argv, list):
            items = [_text(item, "each argument") for item in argv]
        else:
            raise TypeError(f"argv must be an array of strings or null, not {typeof(argv)}")
        return self._parse(items)

    def _parse(self, items: list[str]) -> ParsedArgs:
        flags = {name: False for name in self._flags}
        options = {name: spec[2] for name, spec in self._options.items()}
        shorts = {spec[0]: name for name, spec in [*self._flags.items(), *self._options.items()]
                  if spec[0]}
        values: list[str] = []
        i, only_positionals = 0, False
        while i < len(items):
            item = items[i]
            i += 1
            if only_positionals or item == "-" or not item.startswith("-"):
                values.append(item)
            elif item == "--":
                only_positionals = True
            elif item.startswith("--"):
                name, eq, inline = item[2:].partition("=")
                if name in self._flags and not eq:
                    flags[name] = True
                elif name in self._options:
                    if eq:
                        options[name] = inline
                    elif i < len(items):
                        options[name] = items[i]
                        i += 1
                    else:
                        raise ValueError(f"the option --{name} needs a value")
                else:
                    raise ValueError(f"unknown option {item!r}")
            else:
                letters = item[1:]
                for at, letter in enumerate(letters):
                    name = shorts.get(letter)
                    if name is None:
                        raise ValueError(f"unknown option -{letter}")
                    if name in self._flags:
                        flags[name] = True
                        continue
                    rest = letters[at + 1:]
                    if rest:
                        options[name] = rest
                    elif i < len(items):
                        options[name] = items[i]
                        i += 1
                    else:
                        raise ValueError(f"the option -{letter} needs a value")
                    break
        if len(values) > len(self._positionals):
            raise ValueError(f"unexpected argument {values[len(self._positionals)]!r}")
        positionals: dict[str, Any] = {}
        for at, (name, _, required) in enumerate(self._positionals):
            if at < len(values):
                positionals[name] = values[at]
            elif required and not flags["help"]:
                raise ValueError(f"missing required argument {name!r}")
            else:
                positionals[name] = None
        return ParsedArgs(flags, options, positionals, values)

    @ml_function("The usage text")
    def help(self):
        usage = [self._name or "program"]
        usage += [f"[--{name}]" for name in self._flags]
        usage += [f"[--{name} VALUE]" for name in self._options]
        usage += [name if required else f"[{name}]" for name, _, required in self._positionals]
        lines = ["usage: " + " ".join(usage)]
        if self._description:
            lines += ["", self._description]
        if self._positionals:
            lines += ["", "arguments:"]
            lines += [f"  {name:<20} {text}" for name, text, _ in self._positionals]
        lines += ["", "options:"]
        for name, (short, text) in self._flags.items():
            lines.append(f"  {(f'-{short}, ' if short else '') + '--' + name:<20} {text}")
        for name, (short, text, default) in self._options.items():
            shown = (f"-{short}, " if short else "") + f"--{name} VALUE"
            extra = "" if default is None else f" (default: {display(default)})"
            lines.append(f"  {shown:<20} {text}{extra}")
        return "\n".join(lines)


@ml_module("args", "Command-line argument parsing")
class Args:
    """The process's arguments need ``args.read``; parsing a given array needs nothing."""

    @ml_function("The program's whole command line (the host's sys.argv, or what the host "
                 "ran the program with), as an array of strings",
                 name="all", capabilities=["args.read"])
    def all_(self):
        return _argv()

    @ml_function('The first element of the command line (the program), or "" when it is empty',
                 capabilities=["args.read"])
    def script(self):
        argv = _argv()
        return argv[0] if argv else ""

    @ml_function("The command line without its first element", capabilities=["args.read"])
    def rest(self):
        return _argv()[1:]

    @ml_function("A new ArgParser")
    def create_parser(self, name="", description=""):
        return ArgParser(_text(name, "name", empty=True),
                         _text(description, "description", empty=True))
