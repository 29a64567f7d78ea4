"""Compiler findings as a SARIF 2.1.0 log (the OASIS format code-scanning services read).

One run, tool ``mlpy``: one rule per diagnostic code (its category and CWE in the rule's
properties, GitHub's ``external/cwe/cwe-N`` tag form), one result per diagnostic with its
region. File locations are relative to the current directory (``%SRCROOT%``) when they are
inside it, absolute ``file:`` URIs otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def sarif_log(checked: Iterable[tuple[str, list[Any]]], *, version: str,
              root: Path | None = None) -> dict[str, Any]:
    """The log for ``checked``: (file name as given, diagnostics of that file) pairs."""
    root = (root or Path.cwd()).resolve()
    rules: dict[str, dict[str, Any]] = {}
    results, artifacts = [], {}
    for file, diagnostics in checked:
        artifacts.setdefault(file, {"location": _location(file, root)})
        for diagnostic in diagnostics:
            rule = rules.setdefault(diagnostic.code, _rule(diagnostic))
            results.append(_result(diagnostic, list(rules).index(diagnostic.code), rule,
                                   file, root))
            if diagnostic.file and diagnostic.file != file:
                artifacts.setdefault(diagnostic.file,
                                     {"location": _location(diagnostic.file, root)})
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "mlpy", "version": version,
                                "rules": list(rules.values())}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
            "artifacts": list(artifacts.values()),
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }


def _rule(diagnostic: Any) -> dict[str, Any]:
    tags = [diagnostic.category]
    if diagnostic.cwe:
        tags.append(f"external/cwe/cwe-{diagnostic.cwe}")
    rule: dict[str, Any] = {
        "id": diagnostic.code,
        "shortDescription": {"text": f"{diagnostic.category} finding {diagnostic.code}"},
        "defaultConfiguration": {"level": LEVELS.get(diagnostic.severity, "warning")},
        "properties": {"category": diagnostic.category, "tags": tags},
    }
    if diagnostic.cwe:
        rule["properties"]["cwe"] = f"CWE-{diagnostic.cwe}"
    return rule


def _result(diagnostic: Any, index: int, rule: dict[str, Any], file: str,
            root: Path) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": index,
        "level": LEVELS.get(diagnostic.severity, "warning"),
        "message": {"text": diagnostic.message},
    }
    physical: dict[str, Any] = {"artifactLocation": _location(diagnostic.file or file, root)}
    if diagnostic.line:
        region = {"startLine": diagnostic.line}
        if diagnostic.column:
            region["startColumn"] = diagnostic.column
        if diagnostic.end_line:
            region["endLine"] = diagnostic.end_line
            if diagnostic.end_column:
                region["endColumn"] = max(diagnostic.end_column, 1)
        physical["region"] = region
    result["locations"] = [{"physicalLocation": physical}]
    if diagnostic.suggestions:
        result["properties"] = {"suggestions": list(diagnostic.suggestions)}
    return result


def _location(file: str, root: Path) -> dict[str, Any]:
    path = Path(file)
    absolute = (path if path.is_absolute() else Path.cwd() / path).resolve()
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": "%SRCROOT%"}
