"""The REPL's dot-commands: one table, one dispatcher, one function per command.

Each :class:`Command` has its group, usage line, one-line summary, longer help and an
example; ``.help`` is generated from the table. A command word is case-insensitive, its
arguments are split shell-style, a missing required argument prints the usage line, and an
unknown command suggests the closest one. A command whose argument is ML code (``.async``,
``.benchmark``) is declared ``raw``: it receives the text after the command word as it was
typed, since shell-style splitting would take the quotes out of ML strings. The development
commands (``.reload``, ``.perfmon``, ``.watch``, ...) live in :mod:`mlpy.repl.dev` and the
integration commands (``.async``, ``.callback``, ``.benchmark``) in
:mod:`mlpy.repl.integration`, ``.debug`` in :mod:`mlpy.repl.debugging`; they register here
the same way.
"""

from __future__ import annotations

import difflib
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from mlpy.errors import MLConfigurationError
from mlpy.modules.paths import shown_path
from mlpy.repl.display import short_repr

if TYPE_CHECKING:
    from mlpy.repl.session import CommandResult, MLREPLSession

GROUPS = ("Session", "Capabilities", "Modules", "Development", "Integration")


class CommandError(Exception):
    """A command that cannot do what was asked: the message is shown as ``Error: ...``."""


class CommandFailed(Exception):
    """A command that ran and reports a failure in its own words (``CommandResult.ok`` is
    false; the text is shown as it is)."""


@dataclass(frozen=True)
class Command:
    name: str
    group: str
    usage: str
    summary: str
    help: str
    example: str
    handler: Callable[["MLREPLSession", list[str]], str]
    min_args: int = 0
    aliases: tuple[str, ...] = ()
    exits: bool = False
    raw: bool = False  # the handler gets the rest of the line unsplit (ML code)


COMMANDS: dict[str, Command] = {}
ALIASES: dict[str, str] = {}


def command(name: str, group: str, usage: str, summary: str, help: str, example: str, *,
            min_args: int = 0, aliases: tuple[str, ...] = (), exits: bool = False,
            raw: bool = False):
    """Register the decorated function as the command ``.name``."""
    def register(handler):
        COMMANDS[name] = Command(name, group, usage, summary, help, example, handler,
                                 min_args, aliases, exits, raw)
        for alias in aliases:
            ALIASES[alias] = name
        return handler
    return register


def lookup(word: str) -> Command | None:
    word = word.lower()
    return COMMANDS.get(ALIASES.get(word, word))


def run_command(session: "MLREPLSession", line: str) -> "CommandResult":
    _register_all()
    from mlpy.repl.session import CommandResult

    text = line.strip()
    head, *rest = text[1:].split(None, 1) or [""]
    found = lookup(head) if head else None
    if found is not None and found.raw:
        args = [rest[0].strip()] if rest else []
    else:
        try:
            words = shlex.split(text[1:])
        except ValueError as error:
            return CommandResult(False, f"Error: cannot read the arguments: {error}")
        if not words:
            return CommandResult(False, "Type .help for the list of commands.")
        found = lookup(words[0])
        if found is None:
            return CommandResult(False, unknown(words[0]))
        args = words[1:]
    if len(args) < found.min_args:
        return CommandResult(False, f"Usage: {found.usage}")
    try:
        return CommandResult(True, found.handler(session, args), found.exits)
    except CommandError as error:
        return CommandResult(False, f"Error: {error}")
    except CommandFailed as failure:
        return CommandResult(False, str(failure))


def _register_all() -> None:
    """Import the modules whose commands register themselves, so the table is complete."""
    from mlpy.repl import debugging, dev, integration  # noqa: F401


def unknown(word: str) -> str:
    names = sorted({*COMMANDS, *ALIASES})
    close = difflib.get_close_matches(word.lower(), names, 1)
    guess = f" Did you mean .{ALIASES.get(close[0], close[0])}?" if close else ""
    return f"Unknown command '.{word}'.{guess}\nType .help for the list of commands."


# ----------------------------------------------------------------------------- session


@command("help", "Session", ".help [command]", "List the commands, or explain one",
         "Without an argument, lists every command by group. With a command name, shows its "
         "syntax, what it does and an example.", ".help reload")
def help_command(session, args):
    _register_all()

    if args:
        found = lookup(args[0].lstrip("."))
        if found is None:
            raise CommandError(unknown(args[0].lstrip(".")).replace("\n", " "))
        names = ", ".join(f".{a}" for a in found.aliases)
        lines = [f"Usage: {found.usage}" + (f"   (also {names})" if names else ""),
                 "", found.help, "", f"Example: {found.example}"]
        return "\n".join(lines)
    width = max(len(c.usage) for c in COMMANDS.values()) + 2
    lines = []
    for group in GROUPS:
        lines.append(f"{group}:")
        lines += [f"  {c.usage:<{width}}{c.summary}" for c in COMMANDS.values()
                  if c.group == group]
    lines += ["", "Input: a statement that is not finished (an open bracket, block or string) "
              "continues on the next line.",
              "A blank line submits what you typed; the final ';' may be left out.",
              "Tab completes names, module members and commands."]
    return "\n".join(lines)


@command("exit", "Session", ".exit", "Leave the REPL",
         "Stops file watchers, saves the history and leaves. Ctrl+D does the same.", ".exit",
         aliases=("quit",), exits=True)
def exit_command(session, args):
    return "Bye."


@command("vars", "Session", ".vars [pattern]", "List the names your code defined",
         "Lists the variables and functions defined so far, in definition order, and the "
         "imported modules; a glob pattern (x*, *_id) narrows the list.", ".vars total*")
def vars_command(session, args):
    pattern = args[0] if args else None
    found = session.variables(pattern)
    lines = []
    if found:
        width = max(len(name) for name, _ in found)
        lines.append(f"Variables ({len(found)}):")
        lines += [f"  {name:<{width}} = {short_repr(value)}" for name, value in found]
    else:
        lines.append("No variables defined.")
    if session.imports:
        shown = [name if name == module else f"{module} (as {name})"
                 for name, module in session.imports.items()]
        lines.append(f"Modules ({len(shown)}): {', '.join(shown)}")
    return "\n".join(lines)


@command("reset", "Session", ".reset", "Clear every name and import",
         "Clears the namespace, the imports, the last failure and the callbacks .callback "
         "made, and restores the grants the session started with. History, module paths, "
         "watches and development mode stay.", ".reset", aliases=("clear",))
def reset_command(session, args):
    removed = session.reset()
    return f"Session reset ({removed} binding{'s' if removed != 1 else ''} removed)."


@command("history", "Session", ".history [N|all]", "Show the inputs so far",
         "Shows the last N inputs (20 by default); '!' marks those that failed. The numbers "
         "are those .edit takes.", ".history 5")
def history_command(session, args):
    count = 20
    if args:
        if args[0].lower() == "all":
            count = len(session.history)
        elif args[0].isdigit():
            count = int(args[0])
        else:
            raise CommandError(f"'{args[0]}' is not a number (.history [N|all])")
    if not session.history:
        return "No history."
    lines = []
    for entry in session.history[-count:] if count else []:
        first, *rest = entry.text.strip().splitlines() or [""]
        more = f" …(+{len(rest)} line{'s' if len(rest) > 1 else ''})" if rest else ""
        lines.append(f"  {entry.index:>3}{' ' if entry.ok else '!'} {first}{more}")
    return "\n".join(lines) or "No history."


@command("retry", "Session", ".retry", "Run the last failed input again",
         "Runs the input that failed last against the current state, for instance after "
         "defining what it was missing.", ".retry")
def retry_command(session, args):
    failed = session.last_failure
    if failed is None:
        return "Nothing to retry."
    first = failed.text.strip().splitlines()[0] if failed.text.strip() else ""
    return f"Retrying #{failed.index}: {first}\n" + session.show(session.execute(failed.text))


@command("edit", "Session", ".edit [index]", "Edit an input in your editor and run it",
         "Opens input INDEX (the last one by default) in $VISUAL or $EDITOR; when you save a "
         "change, runs the edited text as a new input.", ".edit 12")
def edit_command(session, args):
    if not session.interactive:
        raise CommandError(".edit needs a terminal")
    from mlpy.repl.terminal import edit_in_editor

    if not session.history:
        raise CommandError("there is no input to edit yet")
    entry = session.history[-1]
    if args:
        wanted = [e for e in session.history if args[0].isdigit() and e.index == int(args[0])]
        if not wanted:
            raise CommandError(f"no input #{args[0]} in the history")
        entry = wanted[0]
    edited = edit_in_editor(entry.text)
    if edited is None or edited.strip() == entry.text.strip():
        return "No changes."
    return "Running edited input…\n" + session.show(session.execute(edited))


@command("load", "Session", ".load FILE", "Run an .ml file in the session",
         "Runs FILE in this session as one input: what it defines stays defined, its imports "
         "use the session's module paths, and the value of its last expression is shown.",
         ".load tools.ml", min_args=1)
def load_command(session, args):
    path = Path(args[0]).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read {path}: {error}") from None
    start = time.perf_counter()
    result = session.execute(text, filename=str(path))
    elapsed = (time.perf_counter() - start) * 1e3
    shown = session.show(result)
    program = session.session.last_program if result.ok else None
    statements = program.statements if program is not None else 0
    summary = f"Loaded {path} ({statements} statement{'s' if statements != 1 else ''}, " \
              f"{elapsed:.1f} ms)" if result.ok else f"Loading {path} failed."
    return f"{shown}\n{summary}" if shown else summary


# ----------------------------------------------------------------------------- capabilities


@command("capabilities", "Capabilities", ".capabilities", "List the session's grants",
         "Lists what code in this session may do, and since when.", ".capabilities",
         aliases=("caps",))
def capabilities_command(session, args):
    if not session.security:
        return "Security is off: every capability the modules declare is granted."
    if not session.grants:
        return "No capabilities granted."
    width = max(len(g.capability) for g in session.grants) + 2
    lines = [f"Granted capabilities ({len(session.grants)}):"]
    lines += [f"  {g.capability:<{width}}{g.origin}" for g in session.grants]
    return "\n".join(lines)


@command("grant", "Capabilities", ".grant [-y] CAP", "Let the session's code do something",
         "Grants a capability (area.action, or area.action:scope) to the code of this "
         "session from the next input on. In a terminal you are asked to confirm unless you "
         "give -y; without a terminal -y is required.", ".grant -y file.read:/data/**",
         min_args=1)
def grant_command(session, args):
    confirmed = "-y" in args
    wanted = [a for a in args if a != "-y"]
    if not wanted:
        return "Usage: .grant [-y] CAP"
    capability = wanted[0]
    try:
        from mlpy.runtime.capabilities import CapabilitySet

        CapabilitySet.parse([capability])
    except MLConfigurationError:
        raise CommandError(f"invalid capability '{capability}' (expected "
                           "<area>.<action>[:<scope>])") from None
    if not confirmed:
        if not session.interactive:
            raise CommandError("without a terminal, confirm with -y: .grant -y " + capability)
        if not session.confirm(f"Grant '{capability}' to code in this session? [y/N] "):
            return "Not granted."
    return session.grant(capability)


@command("revoke", "Capabilities", ".revoke CAP", "Take a grant back",
         "Revokes a grant: 'file.read' removes every file.read grant, a scoped text only that "
         "one. It applies to the next input, and to functions already defined.",
         ".revoke file.read", min_args=1)
def revoke_command(session, args):
    try:
        return session.revoke(args[0])
    except KeyError:
        raise CommandError(f"'{args[0]}' is not granted.") from None


# ----------------------------------------------------------------------------- modules


@command("modules", "Modules", ".modules [filter]", "List the modules you can import",
         "Lists every importable module by kind, whether it is loaded, its description and "
         "where it comes from, then modules that are shadowed and problems in module files. "
         "A glob filter narrows the list.", ".modules m*")
def modules_command(session, args):
    from fnmatch import fnmatchcase

    registry = session.registry
    names = [n for n in ["builtin", *registry.available()]
             if not args or fnmatchcase(n, args[0])]
    loaded = set(session.loaded_modules())
    order = {"builtin": 0, "stdlib": 1, "extension": 2, "ml": 3}
    rows = sorted(((n, "builtin" if n == "builtin" else registry.kind(n)) for n in names),
                  key=lambda row: (order.get(row[1], 9), row[0]))
    width = max([len(n) for n, _ in rows] + [4])
    lines = [f"Modules: {len(rows)} available, {len(loaded & set(names))} loaded",
             f"  {'NAME':<{width}}  {'KIND':<9}  {'STATE':<7}  DESCRIPTION"]
    for name, kind in rows:
        state = "loaded" if name in loaded else ""
        description = "Core functions" if name == "builtin" else registry.summary(name)
        origin = registry.origin(name) if kind in ("extension", "ml") else None
        where = f"  {Path(origin).parent}" if origin else ""
        lines.append(f"  {name:<{width}}  {kind:<9}  {state:<7}  {description}{where}"
                     .rstrip())
    problems = registry.problems()
    shadowed = [p for p in problems if p.code == "W_MODULE_SHADOWED"]
    others = [p for p in problems if p.code != "W_MODULE_SHADOWED"]
    if shadowed:
        lines.append("Shadowed:")
        lines += [f"  {p.path}  {p.message}" for p in shadowed]
    if others:
        lines.append("Problems:")
        lines += [f"  {p.code}  {p.path}:{p.line}  {p.message}" for p in others]
    lines.append("Use .modinfo NAME for details.")
    return "\n".join(lines)


@command("modinfo", "Modules", ".modinfo NAME [--all]", "Describe one module",
         "Shows a module's kind, version, file, required capabilities, functions, classes "
         "and constants, without loading it.", ".modinfo math", min_args=1)
def modinfo_command(session, args):
    name = args[0]
    registry = session.registry
    info = registry.info(name)
    if info is None:
        close = difflib.get_close_matches(name, registry.available(), 1)
        hint = f" Did you mean: {close[0]}?" if close else ""
        raise CommandError(f"no module named '{name}'.{hint}")
    loaded = name in session.loaded_modules()
    version = f", version {info['version']}" if info.get("version") else ""
    lines = [f"{name} — {info['kind']} module{version}{', loaded' if loaded else ''}"]
    if info.get("description"):
        lines.append(f"  {info['description']}")
    lines.append(f"  File: {shown_path(registry.origin(name))}")
    if info.get("capabilities"):
        lines.append(f"  Requires: {', '.join(info['capabilities'])}")
    functions = info.get("functions") or []
    if functions:
        signatures = registry.signatures(name)
        calls = {f: f"{f}({', '.join(signatures.get(f, ((), ''))[0])})" for f in functions}
        width = max(len(call) for call in calls.values()) + 2
        lines.append(f"  Functions ({len(functions)}):")
        shown = functions if "--all" in args else functions[:30]
        for function in shown:
            needs = [c for c in registry.requirements(name, function)
                     if c not in (info.get("capabilities") or [])]
            text = f"    {calls[function]:<{width}}{signatures.get(function, ((), ''))[1]}"
            lines.append((text + (f"   [needs {', '.join(needs)}]" if needs else "")).rstrip())
        if len(shown) < len(functions):
            lines.append(f"    … {len(functions) - 30} more (.modinfo {name} --all)")
    for key, title in (("classes", "Classes"), ("constants", "Constants" if info["kind"] !=
                                                  "ml" else "Variables")):
        if info.get(key):
            lines.append(f"  {title}: {', '.join(info[key])}")
    if info["kind"] == "ml" and info.get("error"):
        lines.append(f"  Cannot be imported: {info['error']}")
    extra = session.module_timings(name)
    if extra:
        lines.append(f"  {extra}")
    return "\n".join(lines)


@command("addpath", "Modules", ".addpath DIR", "Search another folder for extension modules",
         "Adds DIR to the extension directories of this session and lists the modules it "
         "brings.", ".addpath ./ext", min_args=1)
def addpath_command(session, args):
    directory = _directory(args[0])
    registry = session.registry
    if directory in registry.extension_paths:
        return f"Already searched: {directory}."
    before = set(registry.available("extension"))
    registry.add_extension_paths([directory])
    session.path_origins[str(directory)] = "session"
    new = sorted(set(registry.available("extension")) - before)
    found = f"{len(new)} new module{'s' if len(new) != 1 else ''} ({', '.join(new)})" \
        if new else "no modules found"
    problems = [f"  {p}" for p in registry.problems() if p.path.parent == directory]
    return "\n".join([f"Added extension path {directory}: {found}.", *problems])


@command("addmlpath", "Modules", ".addmlpath DIR", "Add a root of ML modules",
         "Adds DIR to the ML module roots of this session: `import a.b;` then also finds "
         "DIR/a/b.ml.", ".addmlpath ./lib", min_args=1)
def addmlpath_command(session, args):
    directory = _directory(args[0])
    if directory in session.registry.ml_module_paths:
        return f"Already searched: {directory}."
    session.registry.add_ml_module_paths([directory])
    session.path_origins[str(directory)] = "session"
    return f"Added ML module root {directory}."


@command("paths", "Modules", ".paths", "Show where modules are searched",
         "Shows the extension directories and ML module roots in search order, each with "
         "where it came from (cli, config, env, implicit or session).", ".paths")
def paths_command(session, args):
    registry = session.registry
    lines = []
    for title, paths in (("Extension paths", registry.extension_paths),
                         ("ML module roots", registry.ml_module_paths)):
        lines.append(f"{title}:" if paths else f"{title}: none")
        lines += [f"  {path}  ({session.path_origins.get(str(path), 'api')})" for path in paths]
    lines.append(f"Project config: {session.config_file or 'none'}")
    return "\n".join(lines)


def _directory(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.is_dir():
        raise CommandError(f"'{text}' is not a directory")
    return path.resolve()

