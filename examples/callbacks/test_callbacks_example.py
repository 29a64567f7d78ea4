"""Tests of the help-desk example: the ML plug-in's functions called as Python callbacks."""

from __future__ import annotations

import copy
import importlib.util
import logging
import subprocess
import sys
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_callbacks_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


@pytest.fixture
def desk():
    return app.HelpDesk()


@pytest.fixture
def tickets():
    """Copies: the desk adds tags to the tickets it opens."""
    return {ticket["id"]: ticket for ticket in copy.deepcopy(app.TICKETS)}


def test_the_hooks_are_the_plugins_on_functions_without_their_prefix(desk):
    assert desk.hooks.list_callbacks() == ["close", "open", "preview", "urgency", "visible"]
    assert desk.hooks["open"].function_name == "on_open"


def test_opening_tags_tickets_and_the_queue_is_filtered_and_ordered_by_the_plugin(
        desk, tickets):
    for number in (1, 2, 3):
        desk.open(tickets[number])
    assert tickets[2]["tags"] == ["vip", "outage"]
    assert tickets[1]["tags"] == []
    # Spam is filtered out; a VIP's fresh outage (urgency 48) comes before a 30 h invoice (70).
    assert [ticket["id"] for ticket in desk.queue()] == [2, 1]
    assert [desk.urgency(tickets[n]) for n in (2, 1)] == [48, 70]
    assert desk.close(tickets[2]) == "#2 closed after 2 h"
    assert desk.session.get("opened") == 3  # the plug-in's own state, kept between calls


def test_a_failing_hook_is_reported_logged_and_the_ticket_goes_on(desk, tickets, caplog):
    with caplog.at_level(logging.WARNING, logger="mlpy.callbacks"):
        desk.open(tickets[5])  # no subject: on_open fails on null.lower()
    assert tickets[5]["tags"] == []
    assert desk.tickets == [tickets[5]]
    [error] = desk.problems
    assert isinstance(error, mlpy.MLRuntimeError)
    assert (error.ml_file, error.ml_line) == ("helpdesk.ml", 21)
    [record] = [r for r in caplog.records if r.name == "mlpy.callbacks"]
    assert record.execution_id == error.execution_id and error.execution_id
    assert error.execution_id in record.getMessage()


def test_a_ticket_the_rule_cannot_score_goes_to_the_end_of_the_queue(desk, tickets):
    for number in (4, 1, 2):  # ticket 4 has no hours: urgency fails on 100 - null
        desk.open(tickets[number])
    assert desk.urgency(tickets[4]) == app.UNSCORED
    assert [ticket["id"] for ticket in desk.queue()] == [2, 1, 4]
    assert desk.problems == []  # a default is not a problem to report


def test_a_runaway_hook_is_stopped_by_the_time_limit_and_the_desk_goes_on(desk, tickets):
    desk.session.exec("function on_open(ticket) { while (true) {} }").raise_for_error()
    desk.open(tickets[1])
    [error] = desk.problems
    assert isinstance(error, mlpy.MLTimeoutError)
    assert desk.tickets == [tickets[1]]


def test_the_preview_reads_the_customers_own_upload(desk, tickets):
    assert desk.attachment(tickets[2]) == (
        "Screenshot: the EU dashboard shows 502 errors since 09:12.")
    assert desk.attachment(tickets[1]) == "Invoice 2024-118 for bob: 1,200 EUR."


@pytest.mark.parametrize("attachment", [
    "uploads/eve/../bob/invoice.txt",  # another customer's upload
    "uploads/bob/invoice.txt",
    "vip.txt",  # a file the plug-in itself may read: the caller's grants decide, not its
])
def test_a_customer_cannot_preview_what_is_not_theirs(desk, attachment):
    ticket = {"id": 9, "customer": "eve", "subject": "x", "hours": 1, "status": "open",
              "attachment": attachment}
    assert desk.attachment(ticket) == "(refused: needs file.read)"


def test_the_preview_has_no_grants_outside_a_customers_scope(desk, tickets):
    # "caller": what the call's context grants -- here nothing, whatever the session has.
    assert desk.preview(tickets[2]) == "(refused: needs file.read)"


def test_the_event_hooks_keep_the_grants_they_were_made_with(desk, tickets):
    # "creation": the session's grant to read the VIP list applies in any caller's scope.
    with mlpy.capability_scope([]):
        assert desk.hooks["open"](tickets[2]) == ["vip", "outage"]


def test_a_redefinition_is_what_the_registered_hooks_call_next(desk, tickets):
    hook = desk.hooks["open"]
    assert hook(tickets[4]) == []  # "Site down": not an outage to the first version
    desk.load(HERE / "hotfix.ml")
    assert desk.hooks["open"] is hook
    assert hook(tickets[4]) == ["outage"]


def test_the_report_counts_every_callbacks_calls_and_failures(desk, tickets):
    for number in (1, 2, 3, 5):
        desk.open(tickets[number])
    desk.queue()
    assert desk.report() == {"close": (0, 0), "open": (4, 1), "preview": (0, 0),
                             "urgency": (3, 0), "visible": (4, 0)}
    assert desk.hooks["open"].stats.total_time > 0


def test_the_program_runs(tmp_path):
    done = subprocess.run([sys.executable, str(HERE / "app.py")], capture_output=True,
                          text=True, timeout=120, check=False, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:5]] == ["#5 lin", "#2 ada", "#1 bob",
                                                          "#4 eve", "#6 eve"]
    assert lines[3].endswith("[] -> (refused: needs file.read)")
    assert lines[4].endswith("['outage'] -> (refused: needs file.read)")  # after the hotfix
    assert lines[-2] == "problem: cannot read member 'lower' of null (hotfix.ml:8)"
