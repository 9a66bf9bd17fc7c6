"""`luna-db diagram`: an ER diagram from the models, as DOT, SVG or PNG; no database needed."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pydot
import pytest

from luna_db_tools.schemas import load_models
from tests.clirunner import ROOT, invoke

SCHEMAS = ["streams", "backport3"]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (make graphviz)")


def draw(schema: str, path: Path) -> None:
    result = invoke("diagram", "--schema", schema, "-o", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == f"wrote {path}"


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_dot_file_has_every_table_view_and_foreign_key(schema, tmp_path):
    path = tmp_path / f"{schema}.dot"
    draw(schema, path)
    graph = pydot.graph_from_dot_data(path.read_text())[0]  # a real parse: the file is valid DOT
    labels = {node.get_name(): node.get("label") for node in graph.get_nodes()}
    metadata = load_models(schema).metadata
    for table in metadata.tables.values():
        node = f"t_{table.name}"
        assert node in labels, table.name
        for column in table.columns:
            assert f">{column.name}<" in labels[node], f"{table.name}.{column.name}"
    for view in metadata.info.get("views", {}):
        assert f"{view} (view)" in labels[f"t_{view}"]
    edges = {(edge.get_source(), edge.get_destination()) for edge in graph.get_edges()}
    expected = {
        (f"t_{table.name}", f"t_{key.elements[0].column.table.name}")
        for table in metadata.tables.values() for key in table.foreign_key_constraints
    }
    assert edges == expected


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_committed_diagrams_are_current(schema, tmp_path):
    """docs/diagrams/ shows the models as they are: `make diagrams` after a model change."""
    path = tmp_path / f"{schema}.dot"
    draw(schema, path)
    committed = ROOT / "docs" / "diagrams" / f"{schema}.dot"
    assert path.read_text() == committed.read_text(), "run `make diagrams` and commit docs/diagrams/"


@needs_dot
@pytest.mark.parametrize("schema", SCHEMAS)
def test_svg_is_well_formed_and_names_every_table(schema, tmp_path):
    path = tmp_path / f"{schema}.svg"
    draw(schema, path)
    root = ElementTree.parse(path).getroot()
    assert root.tag.endswith("svg")
    texts = {element.text for element in root.iter() if element.tag.endswith("text")}
    assert set(load_models(schema).metadata.tables) <= texts


@needs_dot
def test_png_is_a_png(tmp_path):
    path = tmp_path / "streams.png"
    draw("streams", path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_unknown_suffix_is_bad_input(tmp_path):
    result = invoke("diagram", "--schema", "streams", "-o", str(tmp_path / "streams.pdf"))
    assert result.exit_code == 2
    assert result.stderr.strip() == "luna-db: error: cannot tell the diagram format from 'streams.pdf': use .svg, .png, .dot or .gv"
    assert not (tmp_path / "streams.pdf").exists()
