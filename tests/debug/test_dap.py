"""The Debug Adapter Protocol server, driven by a scripted client as an editor drives it:
over stdio (``python -m mlpy.debug.dap``) and over TCP (``mlpy dap --port 0``)."""

from __future__ import annotations

import queue
import re
import socket
import subprocess
import sys
import threading

import pytest

from mlpy.debug.dap import read_message, write_message

PROGRAM = """\
function add(a, b) {
    c = a + b;
    return c;
}
items = [10, 20];
total = 0;
for (i in range(3)) {
    total = total + add(i, 1);
}
print("total", total);
result = total;
"""
TIMEOUT = 60  # seconds: generous, a slow machine must not fail these


class Client:
    """A DAP client over two binary streams: requests in order, events collected."""

    def __init__(self, reader, writer):
        self.writer = writer
        self.seq = 0
        self.messages: "queue.Queue[dict | None]" = queue.Queue()
        self.events: list[dict] = []
        threading.Thread(target=self._read, args=(reader,), daemon=True).start()

    def _read(self, reader):
        while True:
            try:
                message = read_message(reader)
            except (OSError, ValueError):
                message = None
            self.messages.put(message)
            if message is None:
                return

    def _next(self):
        message = self.messages.get(timeout=TIMEOUT)
        assert message is not None, "the server closed the stream"
        if message["type"] == "event":
            self.events.append(message)
        return message

    def request(self, command, **arguments):
        self.seq += 1
        write_message(self.writer, {"seq": self.seq, "type": "request", "command": command,
                                    "arguments": arguments})
        while True:
            message = self._next()
            if message["type"] == "response" and message["request_seq"] == self.seq:
                assert message["command"] == command
                return message

    def ok(self, command, **arguments):
        response = self.request(command, **arguments)
        assert response["success"], response
        return response.get("body", {})

    def event(self, name):
        """The next event called ``name`` not yet taken (waiting for it if needed)."""
        while True:
            for index, event in enumerate(self.events):
                if event["event"] == name:
                    return self.events.pop(index)
            self._next()


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "adder.ml"
    path.write_text(PROGRAM, encoding="utf-8")
    return path


@pytest.fixture
def stdio_client():
    process = subprocess.Popen([sys.executable, "-m", "mlpy.debug.dap"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    yield Client(process.stdout, process.stdin)
    process.stdin.close()
    process.wait(TIMEOUT)
    assert process.returncode == 0, process.stderr.read().decode()


def session(client, program):
    """The full session of the acceptance list: initialize, launch, setBreakpoints,
    configurationDone, stopped, threads, stackTrace, scopes, variables, evaluate, next,
    continue, terminated/exited."""
    capabilities = client.ok("initialize", adapterID="mlpy", linesStartAt1=True,
                             columnsStartAt1=True)
    assert capabilities["supportsConfigurationDoneRequest"]
    assert capabilities["supportsConditionalBreakpoints"]
    assert "supportsStepBack" not in capabilities  # only what is implemented
    client.event("initialized")
    client.ok("launch", program=str(program))
    body = client.ok("setBreakpoints", source={"path": str(program)},
                     breakpoints=[{"line": 2, "condition": "a == 1"}, {"line": 4}])
    assert [(b["line"], b["verified"]) for b in body["breakpoints"]] == [(2, True), (4, False)]
    assert "holds no code" in body["breakpoints"][1]["message"]
    client.ok("setExceptionBreakpoints", filters=["uncaught"])
    client.ok("configurationDone")

    stopped = client.event("stopped")["body"]
    assert stopped["reason"] == "breakpoint" and stopped["threadId"] == 1
    assert client.ok("threads")["threads"] == [{"id": 1, "name": "ML program"}]
    frames = client.ok("stackTrace", threadId=1)["stackFrames"]
    assert [(f["name"], f["line"]) for f in frames] == [("add", 2), ("<program>", 8)]
    assert frames[0]["source"]["path"] == str(program)
    scopes = client.ok("scopes", frameId=frames[0]["id"])["scopes"]
    assert [s["name"] for s in scopes] == ["Locals", "Globals"]
    local = client.ok("variables", variablesReference=scopes[0]["variablesReference"])
    assert {v["name"]: v["value"] for v in local["variables"]} == {"a": "1", "b": "1"}
    program_scopes = client.ok("scopes", frameId=frames[1]["id"])["scopes"]
    names = client.ok("variables", variablesReference=program_scopes[0]["variablesReference"])
    shown = {v["name"]: v for v in names["variables"]}
    assert shown["total"]["value"] == "1" and shown["items"]["value"] == "[10, 20]"
    items = client.ok("variables", variablesReference=shown["items"]["variablesReference"])
    assert [v["value"] for v in items["variables"]] == ["10", "20"]
    evaluated = client.ok("evaluate", expression="a * 100 + b", frameId=frames[0]["id"],
                          context="repl")
    assert evaluated["result"] == "101"
    failed = client.request("evaluate", expression="nope + 1", frameId=frames[0]["id"])
    assert not failed["success"] and "nope" in failed["message"]

    client.ok("next", threadId=1)
    assert client.event("stopped")["body"]["reason"] == "step"
    frames = client.ok("stackTrace", threadId=1)["stackFrames"]
    assert (frames[0]["name"], frames[0]["line"]) == ("add", 3)
    client.ok("continue", threadId=1)
    output = client.event("output")["body"]
    assert output == {"category": "stdout", "output": "total 6\n"}
    assert client.event("exited")["body"] == {"exitCode": 0}
    client.event("terminated")
    client.ok("disconnect")


def test_a_session_over_stdio(stdio_client, program):
    session(stdio_client, program)


def test_a_session_over_tcp(program):
    process = subprocess.Popen([sys.executable, "-m", "mlpy", "dap", "--port", "0"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        announced = process.stderr.readline()
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", announced).group(1))
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as connection:
            with connection.makefile("rb") as reader, connection.makefile("wb") as writer:
                session(Client(reader, writer), program)
        process.wait(TIMEOUT)
        assert process.returncode == 0
        assert process.stdout.read() == ""  # the program's output went to the client
    finally:
        process.kill()
        process.wait(TIMEOUT)


def test_stop_on_entry_exceptions_and_disconnect_while_paused(stdio_client, tmp_path):
    path = tmp_path / "fails.ml"
    path.write_text("x = 1;\nfunction f(n) {\n    return 10 / n;\n}\ny = f(0);\n",
                    encoding="utf-8")
    client = stdio_client
    client.ok("initialize", adapterID="mlpy")
    client.ok("launch", program=str(path), stopOnEntry=True)
    client.ok("setExceptionBreakpoints", filters=["uncaught"])
    client.ok("configurationDone")
    assert client.event("stopped")["body"]["reason"] == "entry"
    client.ok("continue", threadId=1)
    stopped = client.event("stopped")["body"]
    assert stopped["reason"] == "exception" and "division" in stopped["text"].lower()
    frames = client.ok("stackTrace", threadId=1)["stackFrames"]
    assert (frames[0]["name"], frames[0]["line"]) == ("f", 3)
    client.ok("disconnect")
    assert client.event("exited")["body"]["exitCode"] != 0
    client.event("terminated")


def test_logpoints_hit_counts_and_step_in_out(stdio_client, program):
    client = stdio_client
    client.ok("initialize", adapterID="mlpy")
    client.ok("launch", program=str(program))
    body = client.ok("setBreakpoints", source={"path": str(program)}, breakpoints=[
        {"line": 3, "logMessage": "c={c}"}, {"line": 8, "hitCondition": "3"},
        {"line": 9, "hitCondition": "% 2"}])
    assert [b["verified"] for b in body["breakpoints"]] == [True, True, False]
    client.ok("configurationDone")
    stopped = client.event("stopped")["body"]
    assert stopped["reason"] == "breakpoint"
    assert [e["body"]["output"] for e in client.events if e["event"] == "output"] == \
        ["c=1\n", "c=2\n"]
    client.ok("stepIn", threadId=1)
    client.event("stopped")
    assert client.ok("stackTrace", threadId=1)["stackFrames"][0]["name"] == "add"
    client.ok("stepOut", threadId=1)
    client.event("stopped")
    frames = client.ok("stackTrace", threadId=1)["stackFrames"]
    assert frames[0]["name"] == "<program>"
    client.ok("continue", threadId=1)
    assert client.event("exited")["body"] == {"exitCode": 0}


def test_bad_requests_get_error_responses(stdio_client, tmp_path):
    client = stdio_client
    client.ok("initialize", adapterID="mlpy")
    assert not client.request("launch")["success"]
    missing = client.request("launch", program=str(tmp_path / "nope.ml"))
    assert not missing["success"] and "cannot read" in missing["message"]
    broken = tmp_path / "broken.ml"
    broken.write_text("x = ;\n", encoding="utf-8")
    assert not client.request("launch", program=str(broken))["success"]
    assert not client.request("stackTrace", threadId=1)["success"]  # not paused
    assert not client.request("continue", threadId=1)["success"]
    assert not client.request("stepBack", threadId=1)["success"]
    assert not client.request("setExceptionBreakpoints", filters=["sometimes"])["success"]
    odd = client.request("setBreakpoints", source={"path": "x.ml"}, breakpoints=[{"line": "2"}])
    assert odd["success"] and odd["body"]["breakpoints"][0]["verified"] is False
    assert not client.request("setBreakpoints", source={"path": "x.ml"},
                              breakpoints=[7])["success"]
    client.seq += 1
    write_message(client.writer, {"seq": client.seq, "type": "request",
                                  "command": "threads", "arguments": [1, 2]})
    assert not client._next()["success"]
    client.ok("threads")  # still serving
    client.ok("disconnect")


def test_a_broken_stream_ends_the_server_cleanly():
    done = subprocess.run([sys.executable, "-m", "mlpy.debug.dap"],
                          input=b"Content-Length: many\r\n\r\n{}", capture_output=True,
                          timeout=TIMEOUT)
    assert done.returncode == 0
    assert b"unreadable message" in done.stderr and b"Traceback" not in done.stderr


def test_the_console_script_target_is_a_real_function():
    from mlpy.debug import dap

    assert callable(dap.main)
    done = subprocess.run([sys.executable, "-m", "mlpy", "debug-adapter", "--help"],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0 and "--port" in done.stdout
