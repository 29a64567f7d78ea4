"""Options and arguments that several commands share, and the global options' holder.

:class:`GlobalOptions` carries what the ``mlpy`` group was given (``--config``, ``--env``,
``--isolated``, ``-q/-v``, ``--color``) to every command through the click context;
:func:`global_options` reads it. :func:`module_path_options` adds ``-E/-M/--isolated/
--no-local-imports`` to a command, :func:`run_options` the flags ``run``, ``exec`` and
``bench`` have in common.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import click

from mlpy.cli.output import echo_err


@dataclass
class GlobalOptions:
    """The options given before the command name. ``cli_overrides`` maps a global flag to
    the settings it stands for (``{"-v": {"observability.logging.level": "INFO"}}``): they
    are the configuration's ``cli:<flag>`` layer."""

    config_path: str | None = None
    environment: str | None = None
    isolated: bool = False
    verbosity: int = 0  # -q: -1; each -v: +1
    color: str = "auto"
    cli_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    _config: Any = None
    _config_dir: Path | None = None

    def config(self, start_dir: str | Path | None = None) -> Any:
        """The effective :class:`mlpy.config.MLConfig`, its file found from ``start_dir``
        up (loaded again when that differs from the last one asked for); without
        ``start_dir``, the one loaded last, else the working directory's."""
        if start_dir is None and self._config is not None:
            return self._config
        where = Path(start_dir if start_dir is not None else ".").resolve()
        if self._config is None or self._config_dir != where:
            from mlpy.cli.settings import load_config
            self._config = load_config(self, where)
            self._config_dir = where
        return self._config


def global_options() -> GlobalOptions:
    context = click.get_current_context(silent=True)
    found = context.find_object(GlobalOptions) if context is not None else None
    return found if found is not None else GlobalOptions()


def read_source(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise click.UsageError(f"cannot read {path}: {problem}") from None


def text_of(path: str | None) -> str | None:
    """A file's text, or None when it cannot be read (for showing excerpts only)."""
    if path is None:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def parse_vars(pairs: tuple[str, ...]) -> dict[str, Any]:
    variables = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise click.UsageError(f"--var expects NAME=JSON, got {pair!r}")
        try:
            variables[name] = json.loads(text)
        except json.JSONDecodeError as problem:
            raise click.UsageError(f"--var {name}: not valid JSON ({problem})") from None
    return variables


def check_capabilities(option: str, capabilities: tuple[str, ...]) -> None:
    """Refuse a malformed capability string as a usage error naming the option."""
    from mlpy.errors import MLConfigurationError
    from mlpy.runtime.capabilities import CapabilitySet

    for capability in capabilities:
        try:
            CapabilitySet.parse([capability])
        except MLConfigurationError as error:
            raise click.UsageError(f"{option} {capability}: {error.message}") from None


@dataclass(frozen=True)
class PathOptions:
    """The module-path options every command that compiles ML takes."""

    extension_paths: tuple[str, ...] = ()
    ml_module_paths: tuple[str, ...] = ()
    isolated: bool = False
    local_imports: bool = True

    def resolve(self, entry_dir: str | Path, *, quiet: bool = True,
                implicit: bool = True) -> Any:
        """The search lists (``ResolvedPaths``) for a program whose entry file is in
        ``entry_dir``: the configuration is looked for from there up (the settings the
        command reads afterwards come from it too), and (``implicit``) that directory is
        the last ML module root."""
        from mlpy.cli.settings import project_paths
        from mlpy.errors import MLError
        from mlpy.modules.paths import resolve_module_paths
        from mlpy.modules.paths import shown_path as shown

        options = global_options()
        config = options.config(start_dir=entry_dir)  # a bad one is a usage error
        # --isolated after the command drops the file's directories; the global one has
        # already kept the configuration to an explicit --config.
        project = project_paths(config) if options.isolated or not self.isolated else None
        try:
            resolved = resolve_module_paths(
                self.extension_paths, self.ml_module_paths, project,
                environ={} if self.isolated else None,
                entry_dir=entry_dir if self.local_imports and implicit else None)
        except MLError as error:
            raise click.UsageError(f"{error.message} [{error.code}]") from None
        for warning in resolved.warnings:
            echo_err(f"warning: {warning}")
        if not quiet:
            explicit = [e for e in resolved.ml_module_paths if e.origin != "implicit"]
            if resolved.extension_paths:
                echo_err("extension paths: " + ", ".join(
                    shown(e.path) for e in resolved.extension_paths))
            if explicit:
                echo_err("ml module roots: " + ", ".join(
                    shown(e.path) for e in resolved.ml_module_paths))
        return resolved

    def registry(self, entry_dir: str | Path, *, quiet: bool = True,
                 implicit: bool = True) -> Any:
        from mlpy.modules.registry import ModuleRegistry

        resolved = self.resolve(entry_dir, quiet=quiet, implicit=implicit)
        return ModuleRegistry(resolved.extension_dirs, resolved.ml_dirs)


def module_path_options(command: Callable) -> Callable:
    """``-E``/``-M`` (repeatable), ``--isolated`` and ``--no-local-imports``, handed to the
    command as one ``paths`` argument; the global ``--isolated`` counts too."""
    @functools.wraps(command)
    def with_paths(*args, extension_paths, ml_module_paths, isolated, local_imports, **kwargs):
        isolated = isolated or global_options().isolated
        return command(*args, paths=PathOptions(extension_paths, ml_module_paths, isolated,
                                                local_imports), **kwargs)

    options = [
        click.option("-E", "--extension-path", "extension_paths", multiple=True,
                     metavar="DIR", help="A directory of extension modules (<name>_bridge.py "
                     "files); repeatable, searched before the project config's and "
                     "MLPY_EXTENSION_PATHS."),
        click.option("-M", "--ml-module-path", "ml_module_paths", multiple=True,
                     metavar="DIR", help="A root of ML modules (`import a.b;` is DIR/a/b.ml); "
                     "repeatable, searched before the project config's, MLPY_ML_MODULE_PATHS "
                     "and the program's own directory."),
        click.option("--isolated", is_flag=True, help="Ignore the project config and the "
                     "MLPY_* path variables."),
        click.option("--no-local-imports", "local_imports", flag_value=False, default=True,
                     help="Do not import .ml modules from the program's own directory."),
    ]
    for option in reversed(options):
        with_paths = option(with_paths)
    return with_paths


# The program's stderr is the program's: what mlpy itself would say about its set-up (the
# module paths in effect) is printed only when asked for, here or with the global -v.
VERBOSE = click.option("-v/-q", "--verbose/--quiet", "verbose", default=False,
                       help="Also print the module paths in effect, on stderr (default: "
                            "quiet; `mlpy modules list --paths` lists them too).")


def verbose_wanted(local: bool) -> bool:
    return local or global_options().verbosity > 0


def allow_option(help_text: str) -> Callable:
    return click.option("--allow", "allow", multiple=True, metavar="CAP", help=help_text)


def run_options(command: Callable) -> Callable:
    """The flags ``run`` and ``exec`` share: grants, limits, isolation, variables, JSON."""
    options = [
        allow_option("Grant a capability (repeatable), e.g. --allow console.write or "
                     "--allow 'file.read:./data/**'"),
        click.option("--deny", "deny", multiple=True, metavar="CAP",
                     help="Deny a capability (repeatable); denies win over grants."),
        click.option("--caps-profile", "caps_profile", default=None, metavar="NAME",
                     help="Grant the named capability set of the configuration's "
                          "security.profiles."),
        click.option("--timeout", type=float, default=None,
                     help="Wall-time limit in seconds (default: runtime.timeout)."),
        click.option("--max-steps", type=int, default=None,
                     help="Step limit (default: runtime.max_steps)."),
        click.option("--max-depth", type=int, default=None,
                     help="Nested-call limit (default: runtime.max_recursion, 500)."),
        click.option("--max-output", type=int, default=None, help="Output limit in characters."),
        click.option("--max-memory", type=int, default=None,
                     help="Memory budget in bytes for the program's data."),
        click.option("--sandbox/--no-sandbox", "--isolate/--no-isolate", "isolate",
                     default=None,
                     help="Run in a sandbox worker process with operating-system limits "
                          "(default: runtime.isolation, in-process)."),
        click.option("--var", "var", multiple=True, metavar="NAME=JSON",
                     help="Pass a variable to the program (repeatable)."),
        click.option("--json", "as_json", is_flag=True,
                     help="Print one JSON document on stdout."),
    ]
    for option in reversed(options):
        command = option(command)
    return command
