"""``mlpy audit FILE...``: a security report over the ML syntax tree.

The findings are the compiler's own (mlpy/language/checks.py and check_imports.py refuse
reflection, ``__`` names, host-module imports, code-execution builtins and wildcard capability
declarations; :meth:`mlpy.Engine.check` adds each capability a call needs), ranked:

* ``critical`` -- a security rule refused code execution or reflection (CWE-94);
* ``high`` -- any other security rejection;
* ``medium`` -- a capability that writes, deletes, reaches the network or changes the
  environment (``file.write``, ``network.http``, ``env.write``, ...);
* ``low`` -- any other capability the program needs (``console.write``, ``file.read``).

Nothing runs. Exit 4 when there is a critical or high finding, 3 when a file does not parse.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path
from typing import Any

import click

from mlpy.cli.options import PathOptions, module_path_options
from mlpy.cli.output import EXIT_OK, EXIT_SECURITY, EXIT_SYNTAX, emit_json

LEVELS = ("critical", "high", "medium", "low")
# Areas where anything but reading changes the world, and areas where anything does.
WRITABLE_AREAS = ("file", "path", "env")
OUTWARD_AREAS = ("network",)


def threat(diagnostic: Any) -> str | None:
    """The threat level of a finding; None for one that is not about security."""
    if diagnostic.category == "security":
        if diagnostic.severity != "error":
            return "medium"
        return "critical" if diagnostic.cwe == 94 else "high"
    if diagnostic.category == "capability":
        needs = _quoted(diagnostic.message)
        for need in needs:
            area, _, action = need.split(":", 1)[0].partition(".")
            if area in OUTWARD_AREAS or (area in WRITABLE_AREAS and action != "read"):
                return "medium"
        return "low"
    return None


def _quoted(message: str) -> list[str]:
    parts = message.split("'")
    return [parts[i] for i in range(1, len(parts), 2) if "." in parts[i]]


def finding(file: str, diagnostic: Any, level: str) -> dict[str, Any]:
    # The engine words a missing grant for a host ("which this engine does not grant");
    # in a report the need itself is the finding.
    message = diagnostic.message.split(", which this engine does not grant")[0]
    return {"file": diagnostic.file or file, "line": diagnostic.line,
            "column": diagnostic.column, "end_line": diagnostic.end_line,
            "end_column": diagnostic.end_column, "threat": level, "code": diagnostic.code,
            "category": diagnostic.category, "message": message,
            "cwe": diagnostic.cwe, "suggestions": list(diagnostic.suggestions)}


def audit_report(checked: list[tuple[str, str, list[Any]]], threshold: str) -> dict[str, Any]:
    shown_levels = LEVELS if threshold == "all" else LEVELS[:LEVELS.index(threshold) + 1]
    files = []
    for file, _, diagnostics in checked:
        syntax = [d for d in diagnostics if d.severity == "error"
                  and d.category not in ("security", "capability")]
        findings = [finding(file, d, level) for d in diagnostics
                    if (level := threat(d)) is not None]
        files.append({
            "file": file,
            "parsed": not any(d.category == "syntax" for d in syntax),
            "errors": [d.to_dict() for d in syntax],
            "capabilities": sorted({need for f in findings if f["category"] == "capability"
                                    for need in _quoted(f["message"])}),
            "findings": [f for f in findings if f["threat"] in shown_levels],
        })
    every = [f for entry in files for f in entry["findings"]]
    return {"threat_level": threshold,
            "summary": {level: sum(f["threat"] == level for f in every) for level in LEVELS},
            "files": files}


def audit_exit_code(report: dict[str, Any]) -> int:
    if any(not entry["parsed"] for entry in report["files"]):
        return EXIT_SYNTAX
    if report["summary"]["critical"] or report["summary"]["high"]:
        return EXIT_SECURITY
    return EXIT_OK


def as_text(report: dict[str, Any]) -> str:
    summary = report["summary"]
    lines = ["mlpy security audit: " + ", ".join(f"{summary[level]} {level}"
                                                 for level in LEVELS)]
    for entry in report["files"]:
        lines.append("")
        lines.append(f"{entry['file']}: " + ("does not parse" if not entry["parsed"] else
                     f"{len(entry['findings'])} finding(s)"))
        for error in entry["errors"]:
            lines.append(f"  {error['line']}:{error['column']}  error  {error['message']} "
                         f"[{error['code']}]")
        for f in entry["findings"]:
            cwe = f" CWE-{f['cwe']}" if f["cwe"] else ""
            lines.append(f"  {f['line']}:{f['column']}  {f['threat']:<8}  {f['message']} "
                         f"[{f['code']}{cwe}]")
        if entry["capabilities"]:
            lines.append(f"  capabilities needed: {', '.join(entry['capabilities'])}")
    return "\n".join(lines) + "\n"


def as_html(report: dict[str, Any]) -> str:
    e = html.escape
    rows = []
    for entry in report["files"]:
        for f in entry["findings"]:
            rows.append(f"<tr class=\"{e(f['threat'])}\"><td>{e(str(f['file']))}</td>"
                        f"<td>{f['line']}:{f['column']}</td><td>{e(f['threat'])}</td>"
                        f"<td>{e(f['code'])}</td><td>{e(f['message'])}</td></tr>")
        if not entry["parsed"]:
            rows.append(f"<tr class=\"error\"><td>{e(entry['file'])}</td><td></td>"
                        f"<td>error</td><td></td><td>does not parse</td></tr>")
    summary = ", ".join(f"{report['summary'][level]} {level}" for level in LEVELS)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>mlpy security audit</title><style>"
            "body{font-family:sans-serif}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
            ".critical{background:#fdd}.high{background:#fed}.medium{background:#ffd}"
            "</style></head><body><h1>mlpy security audit</h1>"
            f"<p>{e(summary)}</p><table><thead><tr><th>file</th><th>line</th>"
            "<th>threat</th><th>code</th><th>finding</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></body></html>\n")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "output_format", type=click.Choice(["text", "json", "html"]),
              default="text", show_default=True, help="The report's format.")
@click.option("--threat-level", type=click.Choice([*LEVELS, "all"]), default="all",
              show_default=True, help="Show findings at this level and above.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              metavar="PATH", help="Write the report to PATH instead of stdout.")
@module_path_options
def audit(files: tuple[str, ...], output_format: str, threat_level: str,
          output: str | None, paths: PathOptions) -> None:
    """A security report for FILES: refused constructs and the capabilities they need."""
    from mlpy.cli.commands.check import check_files

    report = audit_report(check_files(files, paths), threat_level)
    if output_format == "json":
        import json
        text = json.dumps(report, allow_nan=False) + "\n"
    else:
        text = as_html(report) if output_format == "html" else as_text(report)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        sys.stdout.write(text)
    sys.exit(audit_exit_code(report))
