"""A Debug Adapter Protocol server for ML programs (``mlpy dap``, ``mlpy-dap``,
``python -m mlpy.debug.dap``).

One client, one program: the editor sends ``initialize``, ``launch`` (``program``: the
``.ml`` path; optional ``stopOnEntry``, ``allow``: capabilities to grant, ``timeout``),
``setBreakpoints``/``setExceptionBreakpoints`` and ``configurationDone``; the program then
runs on a thread of its own under :class:`mlpy.debug.debugger.Debugger`. When it pauses the
server sends ``stopped`` and answers ``threads``, ``stackTrace``, ``scopes``, ``variables``
and ``evaluate`` (all of them computed on the paused thread) until ``continue``, ``next``,
``stepIn``, ``stepOut`` or ``disconnect``. At the end: ``exited`` and ``terminated``.

Transport: stdin/stdout (the default), or TCP on 127.0.0.1 (``--port N``; 0 picks a free
port, announced on stderr as ``listening on 127.0.0.1:PORT``). What the program prints
arrives as ``output`` events; nothing else ever writes to the protocol stream.
Capabilities advertised are exactly the features implemented here.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import queue
import socket
import sys
import threading
import uuid
from typing import Any, BinaryIO, Callable

THREAD_ID = 1
CAPABILITIES = {
    "supportsConfigurationDoneRequest": True,
    "supportsConditionalBreakpoints": True,
    "supportsHitConditionalBreakpoints": True,
    "supportsLogPoints": True,
    "supportsEvaluateForHovers": True,
    "supportsTerminateRequest": True,
    "exceptionBreakpointFilters": [
        {"filter": "uncaught", "label": "Uncaught ML errors", "default": True},
        {"filter": "raised", "label": "Every raised ML error", "default": False},
    ],
}
_WAIT = 60.0  # seconds a request waits for the paused thread to answer


class ProtocolError(Exception):
    """A request the server cannot carry out; its text is the error response's message."""


def read_message(stream: BinaryIO) -> dict[str, Any] | None:
    """One DAP message (``Content-Length`` framed JSON); None at the end of the stream."""
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            if length is None:
                continue
            break
        name, _, value = line.decode("ascii", "replace").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = stream.read(length)
    if len(body) < length:
        return None
    return json.loads(body.decode("utf-8"))


def write_message(stream: BinaryIO, message: dict[str, Any]) -> None:
    body = json.dumps(message).encode("utf-8")
    stream.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    stream.flush()


class DAPServer:
    """Serves one DAP client on ``reader``/``writer`` (binary streams) until it disconnects
    or the stream ends."""

    def __init__(self, reader: BinaryIO, writer: BinaryIO, *,
                 log: Callable[[str], Any] | None = None):
        self.reader, self.writer, self.log = reader, writer, log
        self._send_lock = threading.Lock()
        self._seq = 0
        self._commands: "queue.Queue[Any]" = queue.Queue()
        self._paused: Any = None
        self._references: dict[int, Any] = {}
        self._debugger: Any = None
        self._engine: Any = None
        self._program: Any = None
        self._launch: dict[str, Any] | None = None
        self._configured = False
        self._thread: threading.Thread | None = None
        self._execution_id = uuid.uuid4().hex
        self._done = threading.Event()

    # ------------------------------------------------------------------ transport

    def send(self, message: dict[str, Any]) -> None:
        with self._send_lock:
            self._seq += 1
            message["seq"] = self._seq
            if self.log:
                self.log("<-- " + json.dumps(message))
            write_message(self.writer, message)

    def event(self, name: str, body: dict[str, Any] | None = None) -> None:
        self.send({"type": "event", "event": name, "body": body or {}})

    def serve(self) -> None:
        while True:
            try:
                message = read_message(self.reader)
            except (ValueError, UnicodeDecodeError) as problem:
                # Framing lost: nothing after it can be trusted; end the session cleanly.
                print(f"mlpy dap: unreadable message, closing: {problem}", file=sys.__stderr__)
                break
            if message is None or not isinstance(message, dict):
                break
            if self.log:
                self.log("--> " + json.dumps(message))
            if message.get("type") != "request":
                continue
            if not self.handle(message):
                break
        self._shutdown()

    def handle(self, request: dict[str, Any]) -> bool:
        """Answer one request; False when the session is over."""
        command = request.get("command", "")
        handler = getattr(self, "on_" + command, None)
        response = {"type": "response", "request_seq": request.get("seq", 0),
                    "command": command, "success": True}
        try:
            if handler is None:
                raise ProtocolError(f"the request '{command}' is not supported")
            arguments = request.get("arguments") or {}
            if not isinstance(arguments, dict):
                raise ProtocolError(f"the arguments of '{command}' must be an object")
            body = handler(arguments)
        except Exception as problem:  # noqa: BLE001 - a bad request never ends the server
            message = str(problem) if isinstance(problem, ProtocolError) else \
                getattr(problem, "message", None) or f"the request failed: {problem!r}"
            response.update(success=False, message=message)
            self.send(response)
            return True
        if body is not None:
            response["body"] = body
        self.send(response)
        after = getattr(self, "after_" + command, None)
        if after is not None:
            after()
        return command not in ("disconnect", "terminate")

    # ------------------------------------------------------------------ set-up

    def on_initialize(self, arguments: dict[str, Any]) -> dict[str, Any]:
        self._lines_start_at_1 = arguments.get("linesStartAt1", True)
        self._columns_start_at_1 = arguments.get("columnsStartAt1", True)
        return dict(CAPABILITIES)

    def after_initialize(self) -> None:
        self.event("initialized")

    def on_launch(self, arguments: dict[str, Any]) -> None:
        import mlpy
        from mlpy.errors import MLError

        path = arguments.get("program")
        if not isinstance(path, str) or not path:
            raise ProtocolError("launch needs 'program': the path of the .ml file to debug")
        path = os.path.abspath(path)
        allow = arguments.get("allow") or []
        try:
            engine = mlpy.Engine(capabilities=list(allow), isolation="inprocess",
                                 ml_module_paths=[os.path.dirname(path)])
            with open(path, encoding="utf-8") as handle:
                source = handle.read()
            program = engine.compile(source, filename=path)
        except OSError as problem:
            raise ProtocolError(f"cannot read {path}: {problem.strerror}") from None
        except MLError as error:
            raise ProtocolError(str(error)) from None
        self._engine, self._program, self._launch = engine, program, dict(arguments)
        self.debugger.engine = engine
        self.debugger.add_program(program)

    def after_launch(self) -> None:
        if self._configured:
            self._start()

    @property
    def debugger(self) -> Any:
        if self._debugger is None:
            import mlpy
            from mlpy.debug.debugger import Debugger

            self._debugger = Debugger(mlpy.Engine(), on_log=self._logpoint)
        return self._debugger

    def _logpoint(self, text: str, breakpoint: Any) -> None:
        self.event("output", {"category": "console", "output": text + "\n"})

    def on_setBreakpoints(self, arguments: dict[str, Any]) -> dict[str, Any]:
        from mlpy.errors import MLError

        source = arguments.get("source") or {}
        path = source.get("path")
        if not isinstance(path, str):
            raise ProtocolError("setBreakpoints needs source.path")
        debugger = self.debugger
        debugger.clear(path)
        answers = []
        for wanted in arguments.get("breakpoints") or []:
            line = wanted.get("line")
            answer: dict[str, Any] = {"verified": False, "line": line, "source": source}
            try:
                hit_count = _hit_count(wanted.get("hitCondition"))
                bp = debugger.set_breakpoint(path, line, condition=wanted.get("condition"),
                                             hit_count=hit_count,
                                             log_message=wanted.get("logMessage"))
            except (MLError, ValueError) as error:
                answer["message"] = getattr(error, "message", str(error))
            else:
                answer.update(id=bp.id, verified=bp.verified)
                if bp.message:
                    answer["message"] = bp.message
            answers.append(answer)
        return {"breakpoints": answers}

    def on_setExceptionBreakpoints(self, arguments: dict[str, Any]) -> dict[str, Any]:
        filters = set(arguments.get("filters") or [])
        unknown = filters - {"uncaught", "raised"}
        if unknown:
            raise ProtocolError(f"unknown exception filters: {', '.join(sorted(unknown))}")
        if "raised" in filters:
            self.debugger.break_on_exceptions(uncaught_only=False)
        elif "uncaught" in filters:
            self.debugger.break_on_exceptions(uncaught_only=True)
        else:
            self.debugger.no_exception_breaks()
        return {"breakpoints": [{"verified": True} for _ in filters]}

    def on_configurationDone(self, arguments: dict[str, Any]) -> None:
        self._configured = True

    def after_configurationDone(self) -> None:
        if self._launch is not None:
            self._start()

    # ------------------------------------------------------------------ running

    def _start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="mlpy-dap-program",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        launch = self._launch or {}
        output = _ThreadOutput(threading.get_ident(), self._program_output)
        try:
            with output:
                result = self.debugger.run(
                    self._program, on_pause=self._on_pause, timeout=launch.get("timeout"),
                    break_on_entry=bool(launch.get("stopOnEntry")),
                    execution_id=self._execution_id)
            if result.error is not None:
                self.event("output", {"category": "stderr",
                                      "output": str(result.error) + "\n"})
            from mlpy.cli.output import exit_code

            self.event("exited", {"exitCode": exit_code(result.error)})
        except Exception as problem:  # noqa: BLE001 - reported to the client, never lost
            self.event("output", {"category": "stderr",
                                  "output": f"the debugger failed: {problem!r}\n"})
            self.event("exited", {"exitCode": 7})
        finally:
            self._paused = None
            self.event("terminated")
            self._done.set()

    def _program_output(self, text: str, category: str) -> None:
        self.event("output", {"category": category, "output": text})

    def _on_pause(self, frame: Any) -> str:
        """(the program's thread) Report the pause; run the jobs of frame requests until
        a resume command arrives."""
        self._paused = frame
        self._references = {}
        reason = {"entry": "entry", "breakpoint": "breakpoint", "step": "step",
                  "exception": "exception"}[frame.reason]
        body: dict[str, Any] = {"reason": reason, "threadId": THREAD_ID,
                                "allThreadsStopped": True}
        if frame.exception is not None:
            body["description"] = f"{type(frame.exception).__name__}: {frame.exception.message}"
            body["text"] = frame.exception.message
        if frame.breakpoint is not None:
            body["hitBreakpointIds"] = [frame.breakpoint.id]
        self.event("stopped", body)
        while True:
            item = self._commands.get()
            if callable(item):
                item()
                continue
            self._paused = None
            return item

    def _resume(self, action: str) -> None:
        if self._paused is None:
            raise ProtocolError("the program is not paused")
        self._commands.put(action)

    def _on_paused_thread(self, job: Callable[[Any], Any]) -> Any:
        """Run ``job(frame)`` on the paused thread and return its result (or raise its
        ProtocolError)."""
        frame = self._paused
        if frame is None:
            raise ProtocolError("the program is not paused")
        answer: "queue.Queue[tuple[bool, Any]]" = queue.Queue()

        def run() -> None:
            try:
                answer.put((True, job(frame)))
            except Exception as problem:  # noqa: BLE001 - becomes the error response
                answer.put((False, problem))

        self._commands.put(run)
        try:
            ok, value = answer.get(timeout=_WAIT)
        except queue.Empty:
            raise ProtocolError("the program's thread did not answer") from None
        if not ok:
            raise ProtocolError(getattr(value, "message", None) or str(value))
        return value

    # ------------------------------------------------------------------ inspecting

    def on_threads(self, arguments: dict[str, Any]) -> dict[str, Any]:
        return {"threads": [{"id": THREAD_ID, "name": "ML program"}]}

    def on_stackTrace(self, arguments: dict[str, Any]) -> dict[str, Any]:
        def frames(frame: Any) -> dict[str, Any]:
            start = int(arguments.get("startFrame") or 0)
            levels = int(arguments.get("levels") or 0) or len(frame.stack)
            shown = frame.stack[start:start + levels]
            return {"totalFrames": len(frame.stack), "stackFrames": [{
                "id": entry.level + 1, "name": entry.function,
                "line": entry.line if self._lines_start_at_1 else entry.line - 1,
                "column": entry.column if self._columns_start_at_1 else entry.column - 1,
                "source": _source(entry.file)} for entry in shown]}

        return self._on_paused_thread(frames)

    def on_scopes(self, arguments: dict[str, Any]) -> dict[str, Any]:
        level = self._level(arguments.get("frameId"))

        def scopes(frame: Any) -> dict[str, Any]:
            entry = frame.stack[level]
            found = []
            if entry.function not in ("<program>",) and not entry.function.startswith("<module"):
                found.append({"name": "Locals", "presentationHint": "locals",
                              "variablesReference": self._reference(entry.locals()),
                              "expensive": False})
            found.append({"name": "Globals", "variablesReference":
                          self._reference(entry.globals()), "expensive": False})
            return {"scopes": found}

        return self._on_paused_thread(scopes)

    def on_variables(self, arguments: dict[str, Any]) -> dict[str, Any]:
        reference = arguments.get("variablesReference")

        def variables(frame: Any) -> dict[str, Any]:
            if reference not in self._references:
                raise ProtocolError(f"no variables with reference {reference!r} "
                                    "(references last until the program resumes)")
            value = self._references[reference]
            items = value.items() if isinstance(value, dict) else enumerate(value)
            return {"variables": [self._variable(str(name), item) for name, item in items]}

        return self._on_paused_thread(variables)

    def on_evaluate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        expression = arguments.get("expression")
        if not isinstance(expression, str):
            raise ProtocolError("evaluate needs an expression")
        level = self._level(arguments.get("frameId", 1))

        def evaluate(frame: Any) -> dict[str, Any]:
            value = frame.evaluate(expression, level)
            shown = self._variable("", value)
            return {"result": shown["value"], "type": shown["type"],
                    "variablesReference": shown["variablesReference"]}

        return self._on_paused_thread(evaluate)

    def _level(self, frame_id: Any) -> int:
        frame = self._paused
        if frame is None:
            raise ProtocolError("the program is not paused")
        if not isinstance(frame_id, int) or not 1 <= frame_id <= len(frame.stack):
            raise ProtocolError(f"no frame {frame_id!r}")
        return frame_id - 1

    def _reference(self, value: Any) -> int:
        number = len(self._references) + 1
        self._references[number] = value
        return number

    def _variable(self, name: str, value: Any) -> dict[str, Any]:
        from mlpy.debug.debugger import show
        from mlpy.runtime.values import typeof

        nested = isinstance(value, (list, tuple, dict)) and len(value) > 0
        return {"name": name, "value": show(value), "type": typeof(value),
                "variablesReference": self._reference(value) if nested else 0}

    # ------------------------------------------------------------------ resuming

    def on_continue(self, arguments: dict[str, Any]) -> dict[str, Any]:
        self._resume("continue")
        return {"allThreadsContinued": True}

    def on_next(self, arguments: dict[str, Any]) -> None:
        self._resume("next")

    def on_stepIn(self, arguments: dict[str, Any]) -> None:
        self._resume("step_in")

    def on_stepOut(self, arguments: dict[str, Any]) -> None:
        self._resume("step_out")

    def on_disconnect(self, arguments: dict[str, Any]) -> None:
        self._stop()

    def on_terminate(self, arguments: dict[str, Any]) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._thread is None or self._done.is_set():
            return
        if self._paused is not None:
            self._commands.put("stop")
        elif self._engine is not None:
            self._engine.cancel(self._execution_id)
        self._done.wait(_WAIT)

    def _shutdown(self) -> None:
        self._stop()
        if self._engine is not None:
            self._engine.close()


def _hit_count(condition: Any) -> int | None:
    """A DAP hitCondition as a hit count: ``"3"`` or ``">= 3"`` (pause from the third hit
    on)."""
    if condition in (None, ""):
        return None
    text = str(condition).strip()
    if text.startswith(">="):
        text = text[2:].strip()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"hit condition {condition!r}: give a number N (pause from the "
                         "N-th hit on)")
    return int(text)


def _source(file: str) -> dict[str, Any]:
    if file.startswith("<"):
        return {"name": file}
    return {"name": os.path.basename(file), "path": file}


class _ThreadOutput:
    """While the program runs: what its thread writes to stdout/stderr becomes output
    events; what other threads write goes to the real stderr (the protocol may be on the
    real stdout, which nothing else may touch)."""

    def __init__(self, thread: int, emit: Callable[[str, str], Any]):
        self.thread, self.emit = thread, emit

    def __enter__(self) -> "_ThreadOutput":
        self.saved = sys.stdout, sys.stderr
        sys.stdout = _Route(self, "stdout", self.saved[1])
        sys.stderr = _Route(self, "stderr", self.saved[1])
        return self

    def __exit__(self, *exc: Any) -> None:
        sys.stdout, sys.stderr = self.saved


class _Route(io.TextIOBase):
    def __init__(self, owner: _ThreadOutput, category: str, fallback: Any):
        self.owner, self.category, self.fallback = owner, category, fallback

    def write(self, text: str) -> int:
        if threading.get_ident() == self.owner.thread:
            self.owner.emit(text, self.category)
        else:
            self.fallback.write(text)
        return len(text)

    def flush(self) -> None:
        self.fallback.flush()


# ----------------------------------------------------------------------------- entry points


def _logger(enabled: bool) -> Callable[[str], Any] | None:
    if not enabled:
        return None
    return lambda text: print(text, file=sys.__stderr__, flush=True)


def serve_stdio(*, log: bool = False) -> None:
    """Speak DAP on this process's stdin/stdout."""
    reader, writer = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must never reach the protocol stream
    try:
        DAPServer(reader, writer, log=_logger(log)).serve()
    finally:
        sys.stdout = sys.__stdout__


def serve_tcp(port: int, *, log: bool = False, host: str = "127.0.0.1",
              announce: Callable[[str], Any] | None = None) -> None:
    """Listen on ``host:port`` for one client and serve it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(1)
        (announce or (lambda text: print(text, file=sys.stderr, flush=True)))(
            f"listening on {host}:{listener.getsockname()[1]}")
        connection, _ = listener.accept()
    with connection, connection.makefile("rb") as reader, connection.makefile("wb") as writer:
        DAPServer(reader, writer, log=_logger(log)).serve()


def main(argv: list[str] | None = None) -> int:
    """``mlpy-dap [--port N] [--log]`` (the console script; ``mlpy dap`` is the same)."""
    parser = argparse.ArgumentParser(prog="mlpy-dap", description="The ML debug adapter "
                                     "(Debug Adapter Protocol over stdio, or TCP with --port).")
    parser.add_argument("--port", type=int, default=None, help="listen on 127.0.0.1:PORT")
    parser.add_argument("--log", action="store_true", help="log the protocol on stderr")
    options = parser.parse_args(argv)
    if options.port is None:
        serve_stdio(log=options.log)
    else:
        if not 0 <= options.port <= 65535:
            parser.error(f"--port {options.port}: a port is 0..65535")
        serve_tcp(options.port, log=options.log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
