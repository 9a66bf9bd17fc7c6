"""`luna-db check --junit FILE`: the report as JUnit XML, as GitLab and Jenkins display it.

One test case per check and revision (per history for the checks that look
at the whole history), so a CI page shows which revision failed which check.
A finding a revision accepted is no failure; it is listed in the case's output.
"""

from __future__ import annotations

from xml.etree import ElementTree

#: The check each kind of finding belongs to; anything else is a lint rule.
CHECK_OF_KIND = {
    "multiple-heads": "single-head",
    "upgrade-failed": "upgrade",
    "model-mismatch": "models-match-migrations",
    "checksum": "checksums",
    "stairway": "stairway",
    "breaks-running-release": "breaks-running-release",
}
PER_HISTORY = {"single-head", "models-match-migrations"}
LINT = "online-safety-lint"


def junit_xml(reports) -> str:
    """The CheckReports (one per schema) as a JUnit <testsuites> document, one <testsuite> each."""
    suites = ElementTree.Element("testsuites", name="luna-db check")
    tests = failures = 0
    for report in reports:
        suite = _suite(suites, report)
        tests += int(suite.get("tests"))
        failures += int(suite.get("failures"))
    suites.set("tests", str(tests))
    suites.set("failures", str(failures))
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _suite(suites, report):
    cases: dict[tuple[str, str], list] = {}
    for check in report.checks_run:
        for revision in (["history"] if check in PER_HISTORY else report.revisions):
            cases[(check, revision)] = []
    for finding in report.findings:
        check = CHECK_OF_KIND.get(finding.rule, LINT)
        where = "history" if check in PER_HISTORY else (finding.revision or "history")
        cases.setdefault((check, where), []).append(finding)

    suite = ElementTree.SubElement(suites, "testsuite", name=f"luna-db check {report.schema}")
    failures = 0
    for (check, revision), findings in cases.items():
        case = ElementTree.SubElement(suite, "testcase", classname=f"{report.schema}.{check}", name=revision)
        failed = [f for f in findings if not f.accepted]
        if failed:
            failures += 1
            failure = ElementTree.SubElement(case, "failure", message=str(failed[0]), type=failed[0].rule)
            failure.text = "\n".join(str(f) for f in failed)
        accepted = [f for f in findings if f.accepted]
        if accepted:
            ElementTree.SubElement(case, "system-out").text = "\n".join(str(f) for f in accepted)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    return suite
