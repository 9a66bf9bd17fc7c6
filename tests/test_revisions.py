"""The history read from the revision files without Alembic (script/revisions.py) is Alembic's, and
anything but one line is told apart: `heads` and `history` then show Alembic's account of it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from luna_db_tools import schemas
from luna_db_tools.command import scripts
from luna_db_tools.script import history as alembic_history
from luna_db_tools.script.revisions import NotLinear, history_entries, linear_history
from tests.clirunner import ROOT, checkout_environment

SCHEMAS = ("streams", "backport3")


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_history_read_without_alembic_is_alembics(schema):
    assert history_entries(linear_history(schema)) == alembic_history.history(schema)
    assert scripts.history(schema) == alembic_history.history(schema)
    assert scripts.heads(schema) == alembic_history.heads(schema)
    paths = {s.revision: s.path for s in alembic_history.script_directory(schema).walk_revisions()}
    assert {r.revision: str(r.path) for r in linear_history(schema)} == paths


def write_revision(directory, revision, down, header=""):
    (directory / f"{revision}_x.py").write_text(
        f'"""{revision} does a thing\n\nRevision ID: {revision}\n"""\n{header}'
        f"revision = {revision!r}\ndown_revision = {down!r}\n\n\ndef upgrade():\n    pass\n"
    )


@pytest.fixture
def line(tmp_path):
    write_revision(tmp_path, "r1", None)
    write_revision(tmp_path, "r2", "r1")
    return tmp_path


def test_a_plain_line_oldest_first_with_its_messages(line):
    (line / "r3_x.py").write_text('"""r3 annotated"""\nrevision: str = "r3"\ndown_revision: str | None = "r2"\n')
    (line / "__init__.py").write_text("")
    (line / "helpers.py").write_text("VALUE = 1\n")  # declares no revision: not one, as for Alembic
    order = linear_history("streams", line)
    assert [(r.revision, r.down_revision, r.message) for r in order] == [
        ("r1", None, "r1 does a thing"), ("r2", "r1", "r2 does a thing"), ("r3", "r2", "r3 annotated")]


@pytest.mark.parametrize("revision, down, complaint", [
    ("r3", "r1", "2 heads: r2, r3"),                 # a fork
    ("r3", ("r1", "r2"), "merges r1, r2"),            # a merge
    ("r3", "r9", "follows r9, which is no revision"),  # a missing parent
    ("r2", "r1", "declared twice"),
])
def test_anything_but_one_line_is_not_linear(line, revision, down, complaint):
    (line / f"{revision}_other.py").write_text(f"revision = {revision!r}\ndown_revision = {down!r}\n")
    with pytest.raises(NotLinear, match=complaint):
        linear_history("streams", line)


def test_a_revision_not_declared_as_a_literal_is_not_linear(line):
    (line / "r3_x.py").write_text('revision = "r" + "3"\ndown_revision = "r2"\n')
    with pytest.raises(NotLinear, match="plain literals"):
        linear_history("streams", line)


def test_a_file_changed_in_the_process_is_read_again(line):
    assert [r.revision for r in linear_history("streams", line)] == ["r1", "r2"]
    write_revision(line, "r3", "r2")
    assert [r.revision for r in linear_history("streams", line)] == ["r1", "r2", "r3"]


def test_a_forked_history_is_shown_by_alembic(tmp_path, monkeypatch):
    copy = tmp_path / "alembic"
    shutil.copytree(schemas.migrations_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    write_revision(copy / "versions" / "streams", "s9fork", "s0004", header="from alembic import op  # noqa\n")
    monkeypatch.setattr(schemas, "migrations_dir", lambda: copy)
    monkeypatch.setattr(alembic_history, "migrations_dir", lambda: copy)
    assert sorted(scripts.heads("streams")) == ["s0005", "s9fork"]
    assert {entry["id"] for entry in scripts.history("streams")} >= {"s0005", "s9fork"}


def test_status_reads_the_history_without_alembic(head_db):
    database = head_db("streams")
    probe = (
        "import sys\n"
        "from luna_db_tools.cli import main\n"
        "try:\n"
        f"    main(['status', '--schema', 'streams', '--dsn', {database.dsn!r}])\n"
        "except SystemExit as done:\n"
        "    print(done.code)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'mako', 'sqlalchemy'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                            env=checkout_environment(bare=True), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2] == "0"  # at head, no drift
    assert result.stdout.splitlines()[-1] == "['sqlalchemy']"


def test_revisions_off_the_line_are_not_linear(line):
    write_revision(line, "r8", "r9")
    write_revision(line, "r9", "r8")  # a loop beside the line r1 <- r2
    with pytest.raises(NotLinear, match="loops: r8, r9"):
        linear_history("streams", line)
