"""The `luna-db` command group: global options, logging, the Output every command writes to, and the one error handler."""

from __future__ import annotations

import gc
import importlib
import logging
import sys
from contextlib import contextmanager

import click

from .. import __version__
from ..config.settings import SCHEMA_NAMES
from ..errors import EXIT_OK
from ..redact import RedactingFilter
from .json_output import wants_json
from .output import Output, closed_pipe, complain, report_error, report_usage_error
from .secrets import register_given_passwords

log = logging.getLogger("luna_db_tools")


def _set_quiet(context, _param, value):
    if value:
        context.find_root().obj.quiet = True


def _set_verbose(context, _param, value):
    if value:
        context.find_root().obj.verbose = True
        verbose_logging()


def _set_traceback(context, _param, value):
    if value:
        context.find_root().params["traceback"] = True


def _set_json(context, _param, value):
    if value:
        context.find_root().obj.json = True


JSON_HELP = "Print one JSON document on stdout (errors too)."


def _options_of_every_command() -> list[click.Option]:
    """-q, -v and --traceback after the command name too (hidden to keep --help short), and --json.

    A command reads them from its Output (`out.quiet`, `out.json`), never as parameters.
    """
    return [
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, hidden=True, callback=_set_quiet),
        click.Option(["-v", "--verbose"], is_flag=True, expose_value=False, hidden=True, callback=_set_verbose),
        click.Option(["--traceback"], is_flag=True, expose_value=False, hidden=True, callback=_set_traceback),
        click.Option(["--json"], is_flag=True, expose_value=False, callback=_set_json, help=JSON_HELP),
    ]


#: Options that choose the database, accepted before the command name too: the
#: parameter name of each in the commands, and its option.
DATABASE_GLOBALS = {"config_file": "--config", "luna_config": "--luna-config", "dsn": "--dsn", "schema": "--schema"}


def _remember_global(context, param, value):
    """A database option given to a group (before a command name): kept on that group's context."""
    if value is not None:
        context.__dict__.setdefault("luna_db_globals", {})[param.name] = value


def _database_global_options() -> list[click.Option]:
    """--schema, --dsn, --config and --luna-config of a group, handed down to the command that follows."""
    def option(*decls, **kwargs):
        return click.Option(list(decls), expose_value=False, callback=_remember_global, **kwargs)

    return [
        option("--schema", type=click.Choice(SCHEMA_NAMES), help="The command's --schema, given before its name."),
        option("--dsn", help="The command's --dsn, given before its name."),
        option("--config", "config_file", type=click.Path(dir_okay=False),
               help="The command's --config, given before its name."),
        option("--luna-config", help="The command's --luna-config, given before its name."),
    ]


def _globals_given(context) -> dict:
    """The database options given before the command name, to this group and the groups above it
    (`luna-db --dsn X credentials --schema backport3 export F`); the nearer group wins."""
    given: dict = {}
    for group_context in _group_chain(context):
        given.update(getattr(group_context, "luna_db_globals", {}))
    return given


def _pass_down(context, name: str, command: click.Command) -> None:
    """Database options given before a command's name become the command's own (click's default_map).

    The same option after the command name wins, as for any default. A
    command that takes no such option refuses it in one line (exit 2)
    instead of ignoring it, at whatever depth it stands (`luna-db --dsn X
    lint`, `luna-db --dsn X credentials export`). A sub-group passes on
    what it was given, and takes the same options itself.
    """
    given = _globals_given(context)
    if not given or isinstance(command, click.Group):
        return
    taken = {param.name for param in command.params}
    for option in given:
        if option not in taken:
            path = [c.info_name for c in _group_chain(context)][1:] + [name]
            raise click.UsageError(f"{' '.join(path)} takes no {DATABASE_GLOBALS[option]}", context)
    defaults = dict(context.default_map or {})
    defaults[name] = {**(defaults.get(name) or {}), **given}
    context.default_map = defaults


def _group_chain(context) -> list:
    """The contexts from the root group down to this one."""
    chain = []
    while context is not None:
        chain.append(context)
        context = context.parent
    return list(reversed(chain))


class LunaGroup(click.Group):
    """click's Group, plus: every command takes the global options and --json,
    an error is one line and its exit code (JSON under --json), and a closed pipe ends quietly.

    `lazy_commands` (name -> "module:function") are imported when named, click's
    lazy-loading pattern: a command loads only its own module, and `--help` all of them.
    """

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})
        # Every luna-db group (the root, credentials) takes the database options before a command name.
        taken = {opt for param in self.params for opt in getattr(param, "opts", [])}
        self.params += [option for option in _database_global_options() if option.opts[0] not in taken]

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module, _, function = self.lazy_commands[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), function), cmd_name)
        return super().get_command(ctx, cmd_name)

    def add_command(self, cmd, name=None):
        taken = {opt for param in cmd.params for opt in getattr(param, "opts", [])}
        cmd.params += [option for option in _options_of_every_command() if option.opts[0] not in taken]
        super().add_command(cmd, name)

    def resolve_command(self, ctx, args):
        """The command named next, with the database options given before its name handed down (or refused)."""
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not ctx.resilient_parsing:
            _pass_down(ctx, name, command)
        return name, command, rest

    def invoke(self, ctx):
        """Run the command; the top group turns what it raises into one line and an exit code.

        A command returns its exit code (an int) or None for success.
        """
        if ctx.parent is not None:  # a sub-group (credentials): its root reports
            return super().invoke(ctx)
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            return report_error(ctx, error)

    def main(self, args=None, prog_name=None, **extra):
        args = list(sys.argv[1:] if args is None else args)
        register_given_passwords(args)
        try:
            # Not standalone: click then returns a command's exit code (ctx.exit)
            # and leaves its errors to the handlers below.
            with _fewer_collections():
                result = super().main(args, prog_name, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else EXIT_OK
        except click.exceptions.Exit as done:
            code = done.exit_code
        except click.ClickException as error:
            code = report_usage_error(error, as_json=wants_json(args))
        except click.exceptions.Abort:
            complain("error", "interrupted")
            code = 130
        except BrokenPipeError:
            code = closed_pipe()
        _flush_or_quiet()
        sys.exit(code)


@contextmanager
def _fewer_collections():
    """The cyclic garbage collector run less often while a command runs, as it was after.

    A command imports SQLAlchemy and a driver (some fifty thousand long-lived
    objects) and, for most, ends soon after: at Python's default threshold (700
    new objects) the collector walks that growing heap again and again during the
    imports, about a sixth of `status`'s CPU (bench/run.py BENCH_ONLY=startup).
    Raised, not turned off: a long upgrade's cycles are still freed.
    """
    threshold = gc.get_threshold()
    gc.set_threshold(100_000, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def _flush_or_quiet() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        closed_pipe()
    except (OSError, ValueError):
        pass


class ProgressHandler(logging.Handler):
    """Log records as the Output's progress lines (which redact them)."""

    def __init__(self, out: Output):
        super().__init__()
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.out.progress(record.getMessage())
        except Exception:  # logging must never break a command
            self.handleError(record)


def verbose_logging() -> None:
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    log.setLevel(logging.INFO)


def _commands(module: str, *names: str) -> dict[str, str]:
    return {name: f"luna_db_tools.cli.{module}:{name}" for name in names}


#: Every command, by the module that defines it (imported only when the command runs).
COMMANDS = {
    **_commands("schema_commands", "create", "upgrade", "downgrade", "stamp", "views"),
    **_commands("info_commands", "current", "history", "heads", "status", "dsn"),
    **_commands("ci_commands", "check", "lint", "diagram"),
    **_commands("adopt_commands", "adopt"),
    **_commands("credentials_commands", "credentials"),
}


@click.group(cls=LunaGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="luna-db")
@click.option("--traceback", is_flag=True, help="Show the full traceback of an error.")
@click.option("-v", "--verbose", is_flag=True, help="Log the SQL statements sent (passwords hidden).")
@click.option("-q", "--quiet", is_flag=True, help="Print only results and errors.")
@click.option("--json", "json_output", is_flag=True, help=JSON_HELP)
@click.pass_context
def main(context, traceback, verbose, quiet, json_output):
    """Create, migrate and check the databases of LUNA Streams and Backport 3."""
    context.obj = Output(quiet, json_output, verbose)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    # luna-db's own records (a connection retry) are progress lines: plain
    # sentences on stderr, dropped by -q; the prefix stays for the libraries' (-v's SQL).
    log.handlers = [ProgressHandler(context.obj)]
    log.propagate = False
    # Levels are process-wide: an earlier in-process run's -v must not leak.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    log.setLevel(logging.NOTSET)
    if verbose:
        verbose_logging()
