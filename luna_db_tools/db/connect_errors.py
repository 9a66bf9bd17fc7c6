"""Which connection failures are the user's (exit 2, never retried) and which can pass.

A wrong password, a user or database that does not exist, a pg_hba.conf
that turns the user away, or an option the driver refuses will be the same in
the next round: retrying them only delays the runbook (and can lock an
account). Refused or silent hosts, standbys, and a server starting up or
shutting down can pass: those stay with the retry rounds (db/connect.py).

A host that refuses a read-write session is either a hot standby (it may be
promoted: retry) or a primary with default_transaction_read_only=on (it will
not change by itself): `name_read_only_hosts` asks each such host which.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text

from ..config.dsn import format_host
from ..config.settings import DbSettings
from ..errors import BadInput, DsnError
from .engine import engine_for

STANDBY = "read-only (hot standby)"
READ_ONLY_PRIMARY = "read-only: default_transaction_read_only is on (a primary, not a standby)"


def refusal(settings: DbSettings, reasons: dict[str, str]) -> BadInput | None:
    """The bad-input error a host's reason means, if any (the first such host's)."""
    for host, why in reasons.items():
        lowered = why.lower()
        if why == "authentication failed" or (lowered.startswith("role ") and "does not exist" in lowered):
            return BadInput(
                f"{host} rejected the credentials of user {settings.user!r} "
                f"(wrong password, or no such user): not retried"
            )
        if "no pg_hba.conf entry" in lowered or "pg_hba.conf rejects" in lowered:
            return BadInput(
                f"{host} does not let user {settings.user!r} connect to {settings.database!r} "
                f"(no pg_hba.conf entry allows it): not retried"
            )
        if lowered.startswith("database ") and "does not exist" in lowered:
            return BadInput(
                f"database {settings.database!r} does not exist on {host} "
                f"(create it, or let 'luna-db create --create-database' do so): not retried"
            )
        if "dpy-3010" in lowered:
            # python-oracledb's Thin mode reaches 12.1 and newer only; an older
            # server (11.2, for Backport 3) needs Thick mode and Oracle's client libraries.
            return BadInput(
                f"{host} runs an Oracle release older than 12.1, which python-oracledb reaches only in"
                f" Thick mode: add ?oracle_client=<Instant Client 19 directory> to the DSN: not retried"
            )
        if "invalid connection option" in lowered or ("invalid" in lowered and "value" in lowered and ":" in why):
            return DsnError(f"the driver refused a DSN option: {why}")
    return None


def name_read_only_hosts(settings: DbSettings, reasons: dict[str, str]) -> dict[str, str]:
    """Each read-only host named a standby or a read-only primary, asked on a session of its own."""
    named = dict(reasons)
    for hp in settings.hosts:
        key = format_host(hp)
        if named.get(key) == STANDBY:
            named[key] = _role(settings, hp) or STANDBY
    return named


def only_read_only_primaries(reasons: dict[str, str]) -> bool:
    return bool(reasons) and all(why == READ_ONLY_PRIMARY for why in reasons.values())


def _role(settings: DbSettings, host) -> str | None:
    """STANDBY or READ_ONLY_PRIMARY for one host; None when it cannot be asked."""
    probe = replace(
        settings, hosts=(host,),
        options={**settings.options, "target_session_attrs": "any", "connect_timeout": "3"},
    )
    engine = engine_for(probe)
    try:
        with engine.connect() as connection:
            in_recovery = connection.execute(text("SELECT pg_is_in_recovery()")).scalar()
    except Exception:  # gone since: the first reason stands
        return None
    finally:
        engine.dispose()
    return STANDBY if in_recovery else READ_ONLY_PRIMARY
