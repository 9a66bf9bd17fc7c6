"""runtime/loaded_history.LoadedHistory leans on ScriptDirectory._upgrade_revs and
_downgrade_revs, Alembic's own non-public step planners (no public API hands a
command an already loaded history). This pins what we rely on: for every range
of both histories, in both directions and for both dialects, the offline SQL it
renders is the very SQL alembic.command renders, and it refuses what the command
refuses. An Alembic release that changes those methods fails here first."""

from __future__ import annotations

import itertools

import pytest
from alembic.util import CommandError

from luna_db_tools.runtime.loaded_history import LoadedHistory
from luna_db_tools.runtime.offline import render_migration
from luna_db_tools.schemas import SCHEMA_NAMES
from luna_db_tools.script.history import script_directory


def ranges(schema: str) -> list[tuple[str, str]]:
    order = ["base", *[s.revision for s in reversed(list(script_directory(schema).walk_revisions()))]]
    return list(itertools.combinations(order, 2))


@pytest.mark.parametrize("schema", SCHEMA_NAMES)
@pytest.mark.parametrize("db_type", ["postgres", "oracle"])
def test_every_range_renders_as_alembic_command_renders(schema, db_type):
    history = LoadedHistory(script_directory(schema))
    compared = 0
    for low, high in ranges(schema):
        for direction, revisions in (("upgrade", f"{low}:{high}"), ("downgrade", f"{high}:{low}")):
            ours = render_migration(schema, db_type, revisions, direction, history=history)
            alembics = render_migration(schema, db_type, revisions, direction)
            assert ours == alembics, f"{schema} {direction} {revisions} on {db_type}"
            assert ours.strip(), f"{schema} {direction} {revisions} rendered nothing"
            compared += 1
    assert compared >= 2 * 6  # at least base..head in both directions on a four-revision history


def test_an_offline_downgrade_without_a_start_is_refused_as_alembic_refuses_it():
    history = LoadedHistory(script_directory("streams"))
    with pytest.raises(CommandError, match="requires <fromrev>:<torev>"):
        render_migration("streams", "postgres", "base", "downgrade", history=history)
    with pytest.raises(CommandError, match="requires <fromrev>:<torev>"):
        render_migration("streams", "postgres", "base", "downgrade")
