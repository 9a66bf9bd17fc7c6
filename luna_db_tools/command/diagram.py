"""ER diagrams of a schema, drawn from its models with Graphviz.

Each table is a node listing its columns with their types, primary and
foreign keys marked; each foreign key is an edge to the table it refers to.
Views are dashed nodes with their columns. The output is deterministic
(tables and edges in name order), so committed diagrams change only when the
models do. DOT is written by the `graphviz` package alone; SVG and PNG need
Graphviz's `dot` program.
"""

from __future__ import annotations

import html
from pathlib import Path

from ..errors import BadInput, OperationFailed
from ..extras import require
from ..schemas import load_models

FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot"}
_TABLE_COLOUR = "#dbe8f6"
_VIEW_COLOUR = "#f3e6c8"


def output_format(path: str | Path) -> str:
    """The format a file's suffix asks for; BadInput for any other suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise BadInput(f"cannot tell the diagram format from {Path(path).name!r}: use .svg, .png, .dot or .gv")
    return FORMATS[suffix]


def schema_graph(schema: str):
    """The schema's diagram as a graphviz.Digraph."""
    graphviz = require("graphviz", "luna-db diagram")


    metadata = load_models(schema).metadata
    graph = graphviz.Digraph(schema, graph_attr={"rankdir": "LR", "fontname": "Helvetica", "label": f"LUNA {schema}",
                                                "labelloc": "t"},
                             node_attr={"shape": "plaintext", "fontname": "Helvetica", "fontsize": "10"},
                             # Crow's foot on the referring (many) side, a bar on the referred (one) side.
                             edge_attr={"fontname": "Helvetica", "fontsize": "8", "dir": "both", "arrowtail": "crow",
                                        "arrowhead": "tee"})
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        graph.node(_node_id(table.name), label=_table_label(table))
    for name, (view_table, _selectable) in sorted(metadata.info.get("views", {}).items()):
        graph.node(_node_id(name), label=_view_label(name, view_table))
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for key in sorted(table.foreign_key_constraints, key=lambda k: k.name or ""):
            referred = key.elements[0].column.table.name
            columns = ", ".join(column.name for column in key.columns)
            graph.edge(_node_id(table.name), _node_id(referred), label=columns)
    return graph


def write_diagram(schema: str, path: str | Path) -> Path:
    """Write the diagram in the format the suffix names; returns the file written."""
    target = Path(path)
    fmt = output_format(target)
    graph = schema_graph(schema)
    if fmt == "dot":
        target.write_text(graph.source)
        return target
    graphviz = require("graphviz", "luna-db diagram")

    try:
        data = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise OperationFailed(
            "drawing SVG or PNG needs Graphviz's 'dot' program (Debian: apt-get install graphviz); "
            "or write a .dot file"
        ) from None
    target.write_bytes(data)
    return target


def _node_id(name: str) -> str:
    # A DOT id of its own, so that a table called "group" (a keyword in no
    # DOT grammar, but reserved in SQL) or "node" can never clash.
    return f"t_{name}"


def _table_label(table) -> str:
    foreign = {column.name for key in table.foreign_key_constraints for column in key.columns}
    rows = [_column_row(column, foreign) for column in table.columns]
    return _label(table.name, rows, _TABLE_COLOUR, border="1")


def _view_label(name: str, view_table) -> str:
    rows = [f"<TR><TD ALIGN='LEFT'>{_escape(column.name)}</TD><TD ALIGN='LEFT'>{_escape(_type_name(column))}</TD>"
            f"<TD></TD></TR>" for column in view_table.columns]
    return _label(f"{name} (view)", rows, _VIEW_COLOUR, border="1", style="dashed")


def _column_row(column, foreign: set[str]) -> str:
    marks = [mark for mark, present in (("PK", column.primary_key), ("FK", column.name in foreign)) if present]
    if column.nullable and not column.primary_key:
        marks.append("null")
    name = f"<B>{_escape(column.name)}</B>" if column.primary_key else _escape(column.name)
    return (f"<TR><TD ALIGN='LEFT'>{name}</TD><TD ALIGN='LEFT'>{_escape(_type_name(column))}</TD>"
            f"<TD ALIGN='LEFT'>{' '.join(marks)}</TD></TR>")


def _label(title: str, rows: list[str], colour: str, border: str, style: str = "") -> str:
    table_style = f" STYLE='{style}'" if style else ""
    return (f"<<TABLE BORDER='{border}' CELLBORDER='0' CELLSPACING='0' CELLPADDING='3'{table_style}>"
            f"<TR><TD COLSPAN='3' BGCOLOR='{colour}'><B>{_escape(title)}</B></TD></TR>"
            + "".join(rows) + "</TABLE>>")


def _type_name(column) -> str:
    """The column's type as the generic SQL the models mean (VARCHAR(36), TEXT, BOOLEAN, ...)."""
    column_type = column.type
    impl = getattr(column_type, "impl_instance", None)  # a TypeDecorator: Bool, EmptyString
    try:
        return str((impl if impl is not None else column_type).compile())
    except Exception:  # a type with no generic SQL
        return type(column_type).__name__.upper()


def _escape(text: str) -> str:
    return html.escape(text, quote=True)
