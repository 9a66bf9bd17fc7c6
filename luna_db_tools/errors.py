"""The errors luna-db reports, and the exit code each one means.

Every user-facing failure is one of these; the CLI's one error handler
(cli/output.report_error) turns it into one line on stderr and the exit code
below, the exit-code contract scripts rely on. Messages never hold a
password: whoever raises one formats DSNs with `settings.masked_dsn`.
"""

from __future__ import annotations

#: The exit codes, in one place.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 3


class LunaDbError(Exception):
    """Base of every error luna-db reports to a person."""

    exit_code = EXIT_FAILED


class BadInput(LunaDbError):
    """Usage, an unknown schema or revision, a malformed DSN or config."""

    exit_code = EXIT_BAD_INPUT


class DsnError(BadInput):
    """A DSN that does not follow the DSN grammar (config/dsn.py)."""


class ConfigError(BadInput):
    """A LUNA settings file that cannot be read or holds wrong values."""


class OperationFailed(LunaDbError):
    """The operation ran and failed: a migration error, a refused create, drift."""


class DatabaseUnreachable(LunaDbError):
    """No host of the DSN gave a usable connection after every retry round."""

    exit_code = EXIT_UNREACHABLE


def server_error(error: BaseException) -> BaseException:
    """The driver's error behind a SQLAlchemy one that hides it.

    After a lost connection SQLAlchemy raises "Can't reconnect until invalid
    transaction is rolled back" (or "This Connection is closed") at the next
    use, with the server's reason ("terminating connection due to
    administrator command") only in the exception chain: follow the chain
    to the first error that carries the driver's. luna-db's own errors say
    what they mean and are kept.
    """
    if isinstance(error, LunaDbError) or getattr(error, "orig", None) is not None:
        return error
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "orig", None) is not None:
            return current
        current = current.__cause__ or current.__context__
    return error


def first_line(error: BaseException) -> str:
    """The first line of an error, preferring the driver's own message (the server's reason)."""
    error = server_error(error)
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class LintEngineMissing(BadInput):
    """A lint engine luna-db needs (squawk, for PostgreSQL) is not installed."""


class ConfiguratorUnreachable(LunaDbError):
    """The LUNA Configurator named by --luna-config (or a config.conf) gave no answer after every retry round."""

    exit_code = EXIT_UNREACHABLE
