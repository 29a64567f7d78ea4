"""``mlpy debug FILE`` (an interactive command-line debugger) and ``mlpy dap`` (alias
``debug-adapter``: the Debug Adapter Protocol server editors talk to).

``debug`` runs FILE in this process under :class:`mlpy.debug.debugger.Debugger` (a sandboxed
execution runs in another process and cannot be debugged) and, at every pause, reads commands
from stdin (:class:`mlpy.debug.console.Console`, which the REPL's ``.debug`` uses too):
``help`` lists them. The program's output and the debugger's share stdout; a failing program
is reported on stderr and sets the exit code as ``mlpy run`` does. At the end of stdin the
execution is stopped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mlpy.cli.options import PathOptions, allow_option, check_capabilities, module_path_options
from mlpy.cli.output import echo_err, exit_code, report


@click.command("debug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--break", "-b", "breaks", multiple=True, metavar="[FILE:]LINE",
              help="A breakpoint before the run starts (repeatable); FILE defaults to FILE.")
@click.option("--break-on-entry", is_flag=True, help="Pause at the first line.")
@allow_option("Grant a capability (repeatable), as for `mlpy run`.")
@click.option("--timeout", type=float, default=None, metavar="S",
              help="Wall-time limit; time spent paused does not count.")
@module_path_options
def debug(file: str, breaks: tuple[str, ...], break_on_entry: bool, allow: tuple[str, ...],
          timeout: float | None, paths: PathOptions) -> None:
    """Run FILE under the interactive ML debugger."""
    import mlpy
    from mlpy.debug.console import Console, set_breakpoints, show
    from mlpy.debug.debugger import Debugger
    from mlpy.errors import MLError

    check_capabilities("--allow", allow)
    entry_dir = Path(file).parent
    engine = mlpy.Engine(capabilities=list(allow), registry=paths.registry(entry_dir),
                         isolation="inprocess")
    debugger = Debugger(engine, on_log=lambda text, bp: click.echo(f"[log] {text}"))
    try:
        program = engine.compile(Path(file), filename=file)
    except MLError as error:
        report(error)
        sys.exit(exit_code(error))
    debugger.add_program(program)
    try:
        set_breakpoints(debugger, breaks, file, click.echo)
    except ValueError as problem:
        raise click.UsageError(str(problem)) from None
    console = Console(debugger, sys.stdin.readline, click.echo)
    result = debugger.run(program, on_pause=console.pause, timeout=timeout,
                          break_on_entry=break_on_entry)
    engine.close()
    if result.error is not None:
        report(result.error)
    else:
        click.echo(f"[the program finished: {show(result.value)}]")
    sys.exit(exit_code(result.error))


@click.command("dap")
@click.option("--port", type=int, default=None, metavar="N",
              help="Listen on 127.0.0.1:N for one client (0: any free port, printed on "
                   "stderr); default: speak DAP on stdin/stdout.")
@click.option("--log", "log", is_flag=True, help="Log the protocol messages on stderr.")
def dap(port: int | None, log: bool) -> None:
    """Serve the Debug Adapter Protocol (for VS Code and other editors)."""
    from mlpy.debug.dap import serve_stdio, serve_tcp

    if port is None:
        serve_stdio(log=log)
    else:
        if not 0 <= port <= 65535:
            raise click.UsageError(f"--port {port}: a port is 0..65535")
        serve_tcp(port, log=log, announce=echo_err)
