"""Text for people: the lines `status`, `history` and `dsn` print."""

from __future__ import annotations


def audit_line(row: dict) -> str:
    """An audit row for people; the caller closes the parenthesis."""
    took = f"{row['duration_ms']} ms" if row["duration_ms"] is not None else "did not finish"
    outcome = "" if row["outcome"] == "done" else f" {row['outcome'].upper()}"
    return (
        f"{row['started_at'][:19]} {row['direction']:>6} {row['revision']}{outcome} by {row['os_user']}@{row['os_host']}"
        f" (luna-db {row['tool_version']}, {took}"
    )


def unfinished_line(step: dict) -> str:
    """One line on a step an earlier run did not finish, and what to do about it."""
    verb = "upgrade" if step["direction"] == "up" else "downgrade"
    started = f"{step['direction']} {step['revision']} started {step['started_at'][:19]} by {step['os_user']}@{step['os_host']}"
    why = f" ({step['error']})" if step.get("error") else ""
    if step["state"] == "part-applied":
        return f"{started} is part-applied{why}; rerun 'luna-db {verb}' to complete it"
    if step["state"] == "in progress":
        if step.get("pid") is not None and step.get("statement_running"):
            return f"{started} is still running (server pid {step['pid']}, statement since {(step.get('query_start') or '?')[:19]})"
        if step.get("pid") is not None:
            return f"{started} is running now (the migration lock is held by server pid {step['pid']})"
        return f"{started} is running now (the migration lock is held)"
    return f"{started} did not finish{why}; PostgreSQL rolled it back"


def status_lines(report) -> list[str]:
    """`luna-db status` in text: one fact per line."""
    lines = [
        f"schema:   {report.schema}",
        f"database: {report.database}",
        f"current:  {', '.join(report.current) or 'base (empty)'}",
        f"heads:    {', '.join(report.heads)}",
        f"pending:  {len(report.pending)}: {', '.join(report.pending)}" if report.pending else "pending:  none, at head",
    ]
    if report.drift is None:
        lines.append("drift:    not compared (the models describe the head)")
    elif not report.drift:
        lines.append("drift:    none, the database matches the models")
    else:
        lines.append(f"drift:    {len(report.drift)} difference(s) from the models:")
        lines += [f"  {difference}" for difference in report.drift]
    if report.kept_credentials is not None:
        lines.append(f"kept:     {report.kept_credentials}")
    lines += [f"unfinished: {unfinished_line(step)}" for step in report.unfinished]
    lines += [f"audit:    {audit_line(row)})" for row in report.audit[-5:]]
    return lines


def history_lines(revisions: list[dict], trail: list[dict] | None) -> list[str]:
    """`luna-db history` in text: the audit trail first, then revisions newest first, like Alembic."""
    lines = [f"{audit_line(row)}, checksum {(row['checksum'] or '-')[:12]})" for row in trail or []]
    for entry in reversed(revisions):
        head = " (head)" if entry["is_head"] else ""
        lines.append(f"{entry['down_revision'] or '<base>'} -> {entry['id']}{head}, {entry['message']}")
    return lines


def dsn_lines(described: dict) -> list[str]:
    """`luna-db dsn` in text, each part with where it came from."""
    sources = described.get("sources") or {}

    def came(part: str) -> str:
        return f"  (from {sources[part]})" if sources.get(part) else ""

    lines = [
        f"dsn:      {described['dsn']}",
        f"schema:   {described['schema'] or '(not chosen)'}{came('schema')}",
        f"db_type:  {described['db_type']}{came('db_type')}",
        "hosts:    " + ", ".join(f"{h['host']}:{h['port']}" for h in described["hosts"]) + "  (tried in this order)"
        + (f", from {sources['hosts']}" if sources.get("hosts") else ""),
        f"user:     {described['user']}{came('user')}",
        f"password: {'set (hidden)' if described['password_set'] else 'not set'}{came('password_set')}",
        f"database: {described['database']}{came('database')}",
    ]
    return lines + [f"option:   {key}={value}" for key, value in described["options"].items()]
