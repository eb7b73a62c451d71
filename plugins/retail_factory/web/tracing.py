"""The trace page: what a searched lot, GTIN or pallet is, its traces, and its genealogy drawn.

A lot is traced both ways (traceability/trace.py). A GTIN lists its lots and a pallet (SSCC) the
lots it carried, each a link to its trace. The picture lays the genealogy out in columns: where
the lots came from, the lots made before, the lot, the lots made after, the stores reached.
Drawn here as plain SVG: graphviz is a system binary this factory does not require.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from retail_factory.traceability.identifiers import Identifier, InvalidIdentifierError, parse_identifier
from retail_factory.traceability.trace import LotNotFoundError, Trace, trace_lot
from retail_factory.warehouse.connections import Query

LISTED_LOTS = 200  # a GTIN's or a pallet's lots shown
_DIGITS = re.compile(r"^\d+$")


@dataclass
class Search:
    text: str
    kind: str = ""  # lot, product, pallet
    key: str = ""
    error: str | None = None
    forward: Trace | None = None
    backward: Trace | None = None
    lots: list[dict[str, Any]] = field(default_factory=list)  # a product's or a pallet's lots


def identify(text: str) -> Identifier:
    """A URN, Digital Link or element string; bare digits as a GTIN (8-14) or an SSCC (18)."""
    value = text.strip()
    if _DIGITS.match(value):
        if len(value) == 18:
            return parse_identifier(f"(00){value}")
        if len(value) in (8, 12, 13, 14):
            return parse_identifier(f"(01){value.zfill(14)}")
        raise InvalidIdentifierError(f"{value} has {len(value)} digits: a GTIN has 8, 12, 13 or 14, an SSCC 18")
    return parse_identifier(value)


def search(query_for: Callable[[], AbstractContextManager[Query]], text: str) -> Search:
    """Everything the trace page shows for ``text``; a clear error instead when it names nothing.

    ``query_for`` opens the warehouse, only once ``text`` is known to name something to look up.
    """
    found = Search(text)
    try:
        identifier = identify(text)
    except InvalidIdentifierError as error:
        found.error = str(error)
        return found
    found.kind, found.key = identifier.kind, identifier.key
    if identifier.kind not in ("lot", "product", "item", "pallet"):
        found.error = f"{identifier.key} names a {identifier.kind}: search a lot, a GTIN or a pallet (SSCC)"
        return found
    with query_for() as query:
        _look_up(query, found, identifier)
    return found


def _look_up(query: Query, found: Search, identifier: Identifier) -> None:
    if identifier.kind == "lot":
        try:
            found.forward = trace_lot(identifier, "forward", session=query)
            found.backward = trace_lot(identifier, "backward", session=query)
        except LotNotFoundError as error:
            found.error = str(error)
    elif identifier.kind in ("product", "item"):
        found.kind = "product"
        found.lots = _rows(
            query,
            "select lots.lot_key, min(m.movement_date) as first_seen, max(m.movement_date) as last_seen,"
            " count(m.lot_key) as movements"
            " from (select ancestor_key as lot_key from trace.lot_lineage where depth = 0 and ancestor_key like ?)"
            " as lots left join trace.lot_movements as m on m.lot_key = lots.lot_key"
            " group by lots.lot_key order by last_seen desc nulls last, lots.lot_key limit ?",
            [f"(01){identifier.gtin14}(10)%", LISTED_LOTS],
        )
        if not found.lots:
            found.error = f"no lot of GTIN {identifier.gtin14} in the genealogy"
    elif identifier.kind == "pallet":
        found.lots = _rows(
            query,
            "select lot_key, min(movement_date) as first_seen, max(movement_date) as last_seen,"
            " sum(case when movement = 'shipped' then quantity else 0 end) as quantity_shipped,"
            " count(*) as movements from trace.lot_movements where sscc = ?"
            " group by lot_key order by lot_key limit ?",
            [identifier.sscc, LISTED_LOTS],
        )
        if not found.lots:
            found.error = f"no lot moved on pallet {identifier.sscc} in the genealogy"
    for lot in found.lots:
        parts = parse_identifier(lot["lot_key"])
        lot.update(gtin14=parts.gtin14, lot=parts.lot)


def _rows(query: Query, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    columns, rows = query(sql, params)
    return [dict(zip(columns, row, strict=True)) for row in rows]


# --- the picture ------------------------------------------------------------------------------

_BOX_W, _BOX_H, _GAP_X, _GAP_Y, _MARGIN = 200, 38, 60, 14, 10
_COLOURS = {"origin": "#e5f5e0", "lot": "#deebf7", "searched": "#fdd0a2", "store": "#efedf5"}


def genealogy_svg(forward: Trace, backward: Trace) -> str:
    """The lot's genealogy as SVG: columns from origins (left) to stores (right), edges between."""
    columns: dict[int, list[tuple[str, str, str]]] = {}  # column -> (node id, label, kind)
    edges: set[tuple[str, str]] = set()
    searched = forward.lot_key
    for lot in backward.lots:
        columns.setdefault(-int(lot["depth"]), []).append((lot["lot_key"], _lot_label(lot), "lot"))
    for lot in forward.lots:
        if lot["lot_key"] != searched:
            columns.setdefault(int(lot["depth"]), []).append((lot["lot_key"], _lot_label(lot), "lot"))
    columns[0] = [(searched, _lot_label(forward.lots[0]), "searched")]
    for edge in (*backward.transformations, *forward.transformations):
        edges.add((edge["input_key"], edge["output_key"]))
    first, last = min(columns), max(columns)
    for origin in backward.origins:
        node = f"place:{origin['location_id']}"
        column = columns.setdefault(first - 1, [])
        if all(existing[0] != node for existing in column):
            column.append((node, origin["location_name"] or origin["location_id"], "origin"))
        edges.add((node, origin["lot_key"]))
    for store in forward.stores:
        node = f"store:{store['store_id']}"
        columns.setdefault(last + 1, []).append((node, f"{store['store_id']} {store['store_name'] or ''}", "store"))
        for lot in store["lots"]:
            edges.add((lot, node))
    return _draw(columns, edges)


def _lot_label(lot: dict[str, Any]) -> str:
    return f"{lot['gtin14']} · lot {lot['lot']}"


def _draw(columns: dict[int, list[tuple[str, str, str]]], edges: set[tuple[str, str]]) -> str:
    positions: dict[str, tuple[float, float]] = {}
    boxes = []
    for index, column in enumerate(sorted(columns)):
        x = _MARGIN + index * (_BOX_W + _GAP_X)
        for row, (node, label, kind) in enumerate(sorted(columns[column], key=lambda n: n[0])):
            y = _MARGIN + row * (_BOX_H + _GAP_Y)
            positions[node] = (x, y)
            shown = label if len(label) <= 27 else label[:26] + "…"
            boxes.append(
                f'<g class="node {kind}"><title>{html.escape(node)}</title>'
                f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="{_COLOURS[kind]}" '
                f'stroke="#555"/><text x="{x + 8}" y="{y + 24}" font-size="12">{html.escape(shown)}</text></g>'
            )
    lines = []
    for source, target in sorted(edges):
        if source in positions and target in positions:
            (x1, y1), (x2, y2) = positions[source], positions[target]
            lines.append(
                f'<line x1="{x1 + _BOX_W}" y1="{y1 + _BOX_H / 2}" x2="{x2}" y2="{y2 + _BOX_H / 2}" '
                'stroke="#777" marker-end="url(#arrow)"/>'
            )
    width = _MARGIN * 2 + len(columns) * (_BOX_W + _GAP_X) - _GAP_X
    height = _MARGIN * 2 + max(len(c) for c in columns.values()) * (_BOX_H + _GAP_Y) - _GAP_Y
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="genealogy of the lot">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#777"/></marker></defs>'
        + "".join(lines)
        + "".join(boxes)
        + "</svg>"
    )
