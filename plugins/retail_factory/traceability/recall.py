"""A recall: the lots asked for, traced, written where a person and a regulator can read them.

``reports/recalls/<recall-id>/`` in Blob receives, replaced whole on each run:

* ``tracking_events.csv`` and ``.xlsx`` — the FSMA 204-style electronic sortable spreadsheet: one
  row per critical tracking event (shipping, receiving, transformation) with the traceability lot
  code and its source, product, quantity and unit, ship-from and ship-to (GLN and name), date,
  reference document type and number;
* ``epcis.jsonld`` — an EPCIS 2.0 document of the events involved: the producers' own events as
  they were received, and the supply chain's shipments and receipts written as ObjectEvents
  (lots as GS1 Digital Links); checked against GS1's JSON Schema before it is written;
* ``summary.md`` (read first) and ``summary.json`` — stores to alert with the units they received
  and still hold, the producers and farms involved, and what the data cannot tell.

The recall id is given or derived from the request, so the same request writes the same folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from retail_factory.traceability.identifiers import InvalidIdentifierError, parse_identifier
from retail_factory.traceability.trace import Trace, lot_identifier, trace_lot
from retail_factory.warehouse.connections import Warehouse, get_warehouse

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

REPORT_PREFIX = "recalls"
Direction = Literal["forward", "backward", "both"]
SPREADSHEET_COLUMNS = [
    "traceability_lot_code",
    "gtin",
    "lot",
    "tlc_source_gln",
    "tlc_source_name",
    "product_description",
    "quantity",
    "unit_of_measure",
    "ship_from_gln",
    "ship_from_name",
    "ship_to_gln",
    "ship_to_name",
    "event_date",
    "reference_document_type",
    "reference_document_number",
    "event_type",
]
# What each movement's reference is, in the words of FSMA 204's key data elements.
DOCUMENT_TYPES = {
    "epcis": "EPCIS event",
    "producer_deliveries": "despatch advice",
    "shipments": "despatch advice",
    "receipts": "receiving advice",
}
UNITS = {None: "units", "EA": "units", "KGM": "kg", "LTR": "l"}


class RecallRequestError(ValueError):
    """The recall's parameters are wrong; nothing was written."""


@dataclass(frozen=True)
class RecallRequest:
    reason: str
    lots: tuple[str, ...] = ()  # URNs, Digital Links or element strings
    gtin: str | None = None  # or every lot of a product moved between two dates
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    direction: Direction = "forward"
    recall_id: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if len(self.reason.strip()) < 3:
            problems.append("reason: say why (at least 3 characters)")
        if self.direction not in ("forward", "backward", "both"):
            problems.append(f"direction: forward, backward or both, not {self.direction!r}")
        if bool(self.lots) == bool(self.gtin):
            problems.append("give either lots, or a gtin with date_from and date_to")
        if self.gtin and not (self.date_from and self.date_to and self.date_from <= self.date_to):
            problems.append("a gtin needs date_from ≤ date_to")
        for lot in self.lots:
            try:
                lot_identifier(lot)
            except ValueError as error:
                problems.append(f"lot {lot!r}: {error}")
        if self.gtin:
            try:
                parse_identifier(f"(01){self.gtin.zfill(14)}")
            except InvalidIdentifierError as error:
                problems.append(f"gtin {self.gtin!r}: {error}")
        if problems:
            raise RecallRequestError("recall refused: " + "; ".join(problems))

    @property
    def id(self) -> str:
        if self.recall_id:
            return self.recall_id
        asked = json.dumps([sorted(self.lots), self.gtin, str(self.date_from), str(self.date_to), self.direction])
        return "R-" + hashlib.sha256(asked.encode()).hexdigest()[:12]


@dataclass
class Recall:
    request: RecallRequest
    lots: list[str]  # the keys asked for
    traces: list[Trace] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # the sortable spreadsheet
    document: dict[str, Any] = field(default_factory=dict)  # EPCIS 2.0
    summary: dict[str, Any] = field(default_factory=dict)


def build_recall(request: RecallRequest, warehouse: Warehouse | None = None) -> Recall:
    """Trace every lot of the request and put together what a recall writes."""
    w = warehouse or get_warehouse()
    keys = _lots_of(request, w)
    directions = ("forward", "backward") if request.direction == "both" else (request.direction,)
    recall = Recall(request, keys, [trace_lot(key, d, w) for key in keys for d in directions])
    with w.session() as query:
        names = _product_names(query)
        sources = _lot_sources(query, recall.traces)
        recall.rows = _tracking_events(recall.traces, names, sources)
        recall.document = _epcis_document(query, recall.traces)
    recall.summary = _summary(recall)
    return recall


def write_recall(recall: Recall, service: BlobServiceClient, container: str | None = None) -> str:
    """Replace ``reports/recalls/<id>/`` with the recall's files; returns the folder."""
    import pandas as pd

    from retail_factory.config import get_settings
    from retail_factory.storage import replace_folder

    container = container or get_settings().reports_container

    prefix = f"{REPORT_PREFIX}/{recall.request.id}/"
    table = pd.DataFrame(recall.rows, columns=SPREADSHEET_COLUMNS)
    workbook = io.BytesIO()
    table.to_excel(workbook, index=False, sheet_name="tracking events")
    files = {
        "tracking_events.csv": table.to_csv(index=False).encode(),
        "tracking_events.xlsx": workbook.getvalue(),
        "epcis.jsonld": json.dumps(recall.document, indent=2).encode(),
        "summary.json": json.dumps(recall.summary, indent=2, default=str).encode(),
        "summary.md": summary_text(recall.summary).encode(),
    }
    return replace_folder(service, container, prefix, files, f"writing recall {recall.request.id}")


def _lots_of(request: RecallRequest, w: Warehouse) -> list[str]:
    if request.lots:
        return sorted({lot_identifier(lot).key for lot in request.lots})
    _, rows = w.query(
        "select distinct lot_key from trace.lot_movements where gtin14 = ? and movement_date between ? and ?"
        " order by lot_key",
        [request.gtin.zfill(14), request.date_from, request.date_to],
    )
    if not rows:
        raise RecallRequestError(
            f"recall refused: no lot of GTIN {request.gtin} moved between {request.date_from} and {request.date_to}"
        )
    return [row[0] for row in rows]


def _product_names(query: Any) -> dict[str, str]:
    _, rows = query("select gtin, product_name from marts.dim_products")
    return {gtin.zfill(14): name for gtin, name in rows}


def _lot_sources(query: Any, traces: list[Trace]) -> dict[str, tuple[str, str]]:
    """Where each lot's code was assigned: the plant that made it, else the place it was first shipped from."""
    made = {e["output_key"]: e["location_id"] for t in traces for e in t.transformations}
    first: dict[str, tuple[dt.date, str]] = {}
    for trace in traces:
        for move in trace.movements:
            if move["movement"] == "shipped" and move["from_location_id"]:
                seen = first.get(move["lot_key"])
                if seen is None or move["movement_date"] < seen[0]:
                    first[move["lot_key"]] = (move["movement_date"], move["from_location_id"])
    places = {**{k: v[1] for k, v in first.items()}, **made}
    _, rows = query("select location_id, location_name from marts.dim_locations")
    names = dict(rows)
    return {lot: (gln, names.get(gln, "")) for lot, gln in places.items()}


def _tracking_events(
    traces: list[Trace], names: dict[str, str], sources: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    rows: dict[tuple, dict[str, Any]] = {}

    def row(lot_key: str, **values: Any) -> dict[str, Any]:
        lot = parse_identifier(lot_key)
        source = sources.get(lot_key, ("", ""))
        return {
            "traceability_lot_code": lot_key,
            "gtin": lot.gtin14,
            "lot": lot.lot,
            "tlc_source_gln": source[0],
            "tlc_source_name": source[1],
            "product_description": names.get(lot.gtin14 or "", f"GTIN {lot.gtin14}"),
            **values,
        }

    for trace in traces:
        for move in trace.movements:
            rows[("move", move["link_id"], move["lot_key"])] = row(
                move["lot_key"],
                quantity=float(move["quantity"] or 0),
                unit_of_measure=UNITS.get(move["uom"], move["uom"]),
                ship_from_gln=move["from_location_id"],
                ship_from_name=move["from_name"],
                ship_to_gln=move["to_location_id"],
                ship_to_name=move["to_name"],
                event_date=move["movement_date"],
                reference_document_type=DOCUMENT_TYPES.get(move["source"], move["source"]),
                reference_document_number=move["reference_id"] or move["event_key"],
                event_type="Shipping" if move["movement"] == "shipped" else "Receiving",
            )
        for edge in trace.transformations:
            rows[("made", edge["transformation_id"], edge["output_key"], edge["input_key"])] = row(
                edge["output_key"],
                quantity=float(edge["quantity"] or 0),
                unit_of_measure=UNITS.get(edge["uom"], edge["uom"]),
                ship_from_gln=edge["location_id"],
                ship_from_name=sources.get(edge["output_key"], ("", ""))[1],
                ship_to_gln=edge["location_id"],
                ship_to_name=sources.get(edge["output_key"], ("", ""))[1],
                event_date=edge["transformed_date"],
                reference_document_type="EPCIS transformation (input lot " + edge["input_key"] + ")",
                reference_document_number=edge["transformation_id"],
                event_type="Transformation",
            )
    return sorted(rows.values(), key=lambda r: (str(r["event_date"]), r["traceability_lot_code"], r["event_type"]))


def _epcis_document(query: Any, traces: list[Trace]) -> dict[str, Any]:
    """The producers' own events, verbatim, and the supply moves as ObjectEvents; schema-checked."""
    from retail_factory.sources.contracts.epcis_format import epcis_validator

    event_keys = {m["event_key"] for t in traces for m in t.movements if m["source"] == "epcis" and m["event_key"]}
    event_keys |= {e["transformation_id"] for t in traces for e in t.transformations}
    events = []
    if event_keys:
        marks = ", ".join("?" * len(event_keys))
        _, rows = query(
            "select event_key, event_json from staging.stg_producer__epcis_events"
            f" where event_key in ({marks}) or transformation_id in ({marks}) order by event_at, event_key",
            sorted(event_keys) * 2,
        )
        events = [json.loads(text) for _, text in rows]
    moves = {m["link_id"]: m for t in traces for m in t.movements if m["source"] != "epcis"}
    events += [_object_event(move) for _, move in sorted(moves.items())]
    times = [e.get("eventTime", "") for e in events]
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": max(times) if times else "1970-01-01T00:00:00Z",  # the data's, not the clock's
        "epcisBody": {"eventList": events},
    }
    errors = sorted(epcis_validator().iter_errors(document), key=lambda e: list(e.path))
    if errors:
        raise ValueError(f"the recall's EPCIS document breaks GS1's schema: {errors[0].message}")
    return document


def _object_event(move: dict[str, Any]) -> dict[str, Any]:
    """A shipment or receipt of the supply files, as the EPCIS ObjectEvent it stands for."""
    lot = parse_identifier(move["lot_key"])
    when = move["event_at"] or dt.datetime.combine(move["movement_date"], dt.time())
    shipped = move["movement"] == "shipped"
    place = move["from_location_id"] if shipped else move["to_location_id"]
    quantity: dict[str, Any] = {"epcClass": lot.digital_link(), "quantity": float(move["quantity"] or 0)}
    if move["uom"] not in (None, "EA"):
        quantity["uom"] = move["uom"]
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'retail-factory:' + move['link_id'])}",
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventTimeZoneOffset": "+00:00",
        "epcList": [],
        "action": "OBSERVE",
        "bizStep": "shipping" if shipped else "receiving",
        "disposition": "in_transit" if shipped else "in_progress",
        "quantityList": [quantity],
    }
    if place:
        event["readPoint"] = {"id": f"https://id.gs1.org/414/{place}"}
    if move["reference_id"]:
        kind = "desadv" if shipped else "recadv"
        event["bizTransactionList"] = [
            {"type": kind, "bizTransaction": f"urn:retail-factory:{kind}:{move['reference_id']}"}
        ]
    if move["from_location_id"]:
        event["sourceList"] = [{"type": "location", "source": f"https://id.gs1.org/414/{move['from_location_id']}"}]
    if move["to_location_id"]:
        event["destinationList"] = [
            {"type": "location", "destination": f"https://id.gs1.org/414/{move['to_location_id']}"}
        ]
    return event


def _summary(recall: Recall) -> dict[str, Any]:
    stores: dict[str, dict[str, Any]] = {}
    for trace in (t for t in recall.traces if t.direction == "forward"):
        for store in trace.stores:
            seen = stores.setdefault(
                store["store_id"],
                {"store_id": store["store_id"], "store_name": store["store_name"], "status": store["status"],
                 "units_received": 0.0, "est_units_on_shelf": 0.0, "last_received": store["last_received"]},
            )  # fmt: skip
            seen["units_received"] += store["units_received"]
            seen["est_units_on_shelf"] += store["est_units_on_shelf"]
    origins = {(o["location_id"], o["location_name"], o["location_type"]) for t in recall.traces for o in t.origins}
    producers = {(r["tlc_source_gln"], r["tlc_source_name"]) for r in recall.rows if r["tlc_source_gln"]}
    warnings = sorted({w for t in recall.traces for w in t.warnings})
    warnings += sorted(
        {f"{i['severity']} {i['issue_type']} {i['lot_key']}: {i['detail']}" for t in recall.traces for i in t.issues}
    )
    return {
        "recall_id": recall.request.id,
        "reason": recall.request.reason,
        "direction": recall.request.direction,
        "request": asdict(recall.request),
        "lots_asked": recall.lots,
        "lots_involved": sorted({lot["lot_key"] for t in recall.traces for lot in t.lots}),
        "stores_to_alert": sorted(stores.values(), key=lambda s: (-s["est_units_on_shelf"], s["store_id"])),
        "origins": [dict(zip(("gln", "name", "type"), o, strict=True)) for o in sorted(origins)],
        "lot_code_sources": [{"gln": g, "name": n} for g, n in sorted(producers)],
        "tracking_events": len(recall.rows),
        "epcis_events": len(recall.document.get("epcisBody", {}).get("eventList", [])),
        "completeness_warnings": warnings,
    }


def summary_text(summary: dict[str, Any]) -> str:
    """The page a person reads first."""
    lines = [
        f"# Recall {summary['recall_id']}",
        "",
        f"Reason: {summary['reason']}  ",
        f"Lots asked: {', '.join(summary['lots_asked'])} ({summary['direction']}); "
        f"{len(summary['lots_involved'])} lots involved, {summary['tracking_events']} tracking events.",
        "",
        f"## Stores to alert ({len(summary['stores_to_alert'])})",
        "",
        "| store | name | status | units received | units on shelf (est.) | last received |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {s['store_id']} | {s['store_name']} | {s['status']} | {s['units_received']:g} | "
        f"{s['est_units_on_shelf']:g} | {s['last_received'] or ''} |"
        for s in summary["stores_to_alert"]
    ] or ["| (none) | | | | | |"]
    lines += ["", "## Producers, farms and plants involved", ""]
    places: dict[str, tuple[str, set[str]]] = {}
    for gln, name, kind in [(o["gln"], o["name"], o["type"]) for o in summary["origins"]] + [
        (p["gln"], p["name"], "lot code source") for p in summary["lot_code_sources"]
    ]:
        places.setdefault(gln, (name, set()))[1].add(kind)
    lines += [
        f"- {name or '(unnamed)'} ({', '.join(sorted(kinds))}; GLN {gln})"
        for gln, (name, kinds) in sorted(places.items())
    ] or ["- (none)"]
    lines += ["", "## Completeness warnings", ""]
    lines += [f"- {w}" for w in summary["completeness_warnings"]] or ["- none: every lot's path is recorded"]
    lines += ["", "Files: tracking_events.csv / .xlsx (sortable spreadsheet), epcis.jsonld (EPCIS 2.0)."]
    return "\n".join(lines) + "\n"
