"""The `luna-db` command group: global options, logging, and the Output every command writes to."""

from __future__ import annotations

import logging
import sys

import click

from .. import __version__
from ..redact import RedactingFilter
from .output import Output

log = logging.getLogger("luna_db_tools")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="luna-db")
@click.option("--traceback", is_flag=True, help="Show the full traceback of an error.")
@click.option("-v", "--verbose", is_flag=True, help="Log the SQL statements sent (passwords hidden).")
@click.option("-q", "--quiet", is_flag=True, help="Print only results and errors.")
@click.pass_context
def main(context, traceback, verbose, quiet):
    """Create, migrate and check the databases of LUNA Streams and Backport 3."""
    context.obj = Output(quiet)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    if verbose:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
        log.setLevel(logging.INFO)
