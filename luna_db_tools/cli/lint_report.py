"""The lint's findings as text (one a line), JSON, or SARIF 2.1.0 for code-scanning UIs.

The CLI prints the JSON and SARIF documents through `emit_json` (redacted,
two-space indented, as `render_json` and `render_sarif` write them).

SARIF is what GitHub code scanning and GitLab's SAST widgets read: one run,
the rules used named in the driver, each finding a result at its file and
line; an accepted finding is a result with an in-source suppression and its
justification, so the UI lists it as dismissed rather than hiding it.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

from .. import __version__

if TYPE_CHECKING:
    from ..command.lint import LintReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SQUAWK_DOCS = "https://squawkhq.com/docs/"


def render_text(report: LintReport) -> str:
    """`file:line: rule: message`, one finding a line (what editors and grep read)."""
    return "".join(f"{finding}\n" for finding in report.findings)


def render_json(report: LintReport) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"


def render_sarif(report: LintReport) -> str:
    return json.dumps(sarif_document(report), indent=2) + "\n"


def document(report: LintReport, fmt: str) -> dict:
    """The JSON (`json`) or SARIF (`sarif`) document of a report."""
    return sarif_document(report) if fmt == "sarif" else report.as_dict()


def sarif_document(report: LintReport) -> dict:
    rules: dict[str, dict] = {}
    results = []
    for finding in report.findings:
        if finding.rule not in rules:
            rule = {
                "id": finding.rule,
                "shortDescription": {"text": finding.message},
                "properties": {"engine": finding.engine},
            }
            if finding.engine == "squawk":
                rule["helpUri"] = SQUAWK_DOCS + finding.rule
            rules[finding.rule] = rule
        result = {
            "ruleId": finding.rule,
            "ruleIndex": list(rules).index(finding.rule),
            "level": "error" if finding.rule == "syntax-error" else "warning",
            "message": {"text": finding.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(finding.source)},
                    "region": {"startLine": finding.line, "snippet": {"text": finding.statement}},
                },
            }],
        }
        if finding.object:
            result["properties"] = {"object": finding.object}
        if finding.accepted:
            result["suppressions"] = [{"kind": "inSource", "justification": finding.accepted}]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "luna-db lint",
                "version": __version__,
                "informationUri": "https://squawkhq.com/",
                "rules": list(rules.values()),
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }


def _uri(source: str) -> str:
    """A finding's file as code-scanning UIs place it: relative to the working directory (the checkout).

    A path outside the working directory stays as given (forward slashes): no
    relative form would name it better; "<stdin>" stays as it is.
    """
    path = source.replace("\\", "/")
    if PurePosixPath(path).is_absolute() or PureWindowsPath(source).is_absolute():
        try:
            path = Path(source).resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            return path
    while path.startswith("./"):
        path = path[2:]
    return path
