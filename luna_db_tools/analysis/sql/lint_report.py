"""The lint's findings as text (one a line), JSON, or SARIF 2.1.0 for code-scanning UIs.

SARIF is what GitHub code scanning and GitLab's SAST widgets read: one run,
the rules used named in the driver, each finding a result at its file and
line; an accepted finding is a result with an in-source suppression and its
justification, so the UI lists it as dismissed rather than hiding it.
"""

from __future__ import annotations

import json

from ... import __version__
from .lint import LintReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SQUAWK_DOCS = "https://squawkhq.com/docs/"
FORMATS = ("text", "json", "sarif")


def render(report: LintReport, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return render_sarif(report)
    return render_text(report)


def render_text(report: LintReport) -> str:
    """`file:line: rule: message`, one finding a line (what editors and grep read)."""
    return "".join(f"{finding}\n" for finding in report.findings)


def render_json(report: LintReport) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"


def render_sarif(report: LintReport) -> str:
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
    document = {
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
    return json.dumps(document, indent=2) + "\n"


def _uri(source: str) -> str:
    # SARIF locations are URIs relative to the checkout: forward slashes, no "./".
    return source.replace("\\", "/").removeprefix("./")
