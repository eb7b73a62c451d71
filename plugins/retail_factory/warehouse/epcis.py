"""Flatten an EPCIS 2.0 JSON / JSON-LD document into the five raw EPCIS tables.

Why by hand: neither warehouse reads EPCIS. Its events are a union of five shapes with a dozen
optional lists, CBV values in three spellings and keys that may be missing; one flattening in
Python serves DuckDB and PostgreSQL alike, where SQL would need two dialects of JSON unnesting.
The events go to Arrow columns in one pass; the warehouse loads the columns, not Python rows.
Values stay as sent (identifier normalisation is the genealogy's job), except CBV words, which
are written bare so that ``urn:epcglobal:cbv:bizstep:shipping`` and ``shipping`` are one step.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from retail_factory.sources.contracts.epcis_format import cbv_bare_word, events_of
from retail_factory.warehouse.raw_tables import EPCIS_TABLES

QUANTITY_LISTS = {
    "quantityList": "quantity",
    "inputQuantityList": "input",
    "outputQuantityList": "output",
    "childQuantityList": "child",
}
EPC_LISTS = {"epcList": "epc", "inputEPCList": "input", "outputEPCList": "output", "childEPCs": "child"}


def event_key(event: dict[str, Any]) -> str:
    """The eventID, else a hash of the event's content (keys sorted), so a re-sent event keeps its key.

    An error declaration repeats the eventID of the event it cancels (EPCIS 2.0 §7.4.1.3); it is
    a record of its own, keyed ``<eventID>#errorDeclaration``.
    """
    if isinstance(event.get("eventID"), str) and event["eventID"]:
        suffix = "#errorDeclaration" if isinstance(event.get("errorDeclaration"), dict) else ""
        return event["eventID"] + suffix
    digest = hashlib.sha256(json.dumps(event, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"sha256:{digest}"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _id_of(value: Any) -> str | None:
    """readPoint / bizLocation are ``{"id": …}``; some producers send the bare string."""
    return _text(value.get("id")) if isinstance(value, dict) else _text(value)


class _Columns:
    """Column lists of one table, filled event by event and turned into an Arrow table at the end."""

    def __init__(self, table: str) -> None:
        self.names = EPCIS_TABLES[table].columns
        self.data: dict[str, list[str | None]] = {name: [] for name in (*self.names, "_source_row")}

    def add(self, row: int, **values: Any) -> None:
        for name in self.names:
            self.data[name].append(_text(values.get(name)))
        self.data["_source_row"].append(str(row))

    def to_arrow(self) -> pa.Table:
        arrays = {name: pa.array(values, pa.string()) for name, values in self.data.items()}
        arrays["_source_row"] = arrays["_source_row"].cast(pa.int64())
        return pa.table(arrays)


def _event_row(event: dict[str, Any], key: str, document_created: Any) -> dict[str, Any]:
    error = event.get("errorDeclaration") if isinstance(event.get("errorDeclaration"), dict) else {}
    return {
        "event_key": key,
        "event_id": event.get("eventID"),
        "event_type": event.get("type"),
        "action": event.get("action"),
        "event_time": event.get("eventTime"),
        "event_timezone_offset": event.get("eventTimeZoneOffset"),
        "record_time": event.get("recordTime"),
        "biz_step": cbv_bare_word("bizStep", event.get("bizStep")),
        "disposition": cbv_bare_word("disposition", event.get("disposition")),
        "read_point": _id_of(event.get("readPoint")),
        "biz_location": _id_of(event.get("bizLocation")),
        "parent_id": event.get("parentID"),
        "transformation_id": event.get("transformationID"),
        "error_reason": error.get("reason"),
        "error_declaration_time": error.get("declarationTime"),
        "corrective_event_ids": error.get("correctiveEventIDs"),
        "document_creation_date": document_created,
        "event_json": event,
    }


def _add_lists(tables: dict[str, _Columns], row: int, key: str, event: dict[str, Any]) -> None:
    for field, role in QUANTITY_LISTS.items():
        for position, item in enumerate(event.get(field) or [], start=1):
            item = item if isinstance(item, dict) else {}
            tables["epcis_quantities"].add(row, event_key=key, role=role, position=position, **_quantity(item))
    for field, role in EPC_LISTS.items():
        for position, epc in enumerate(event.get(field) or [], start=1):
            tables["epcis_epcs"].add(row, event_key=key, role=role, position=position, epc=epc)
    for position, item in enumerate(event.get("bizTransactionList") or [], start=1):
        item = item if isinstance(item, dict) else {}
        tables["epcis_biz_transactions"].add(
            row, event_key=key, position=position, type=item.get("type"), biz_transaction=item.get("bizTransaction")
        )
    for side in ("source", "destination"):
        for position, item in enumerate(event.get(f"{side}List") or [], start=1):
            item = item if isinstance(item, dict) else {}
            tables["epcis_parties"].add(
                row, event_key=key, side=side, position=position, type=item.get("type"), party=item.get(side)
            )


def _quantity(item: dict[str, Any]) -> dict[str, Any]:
    return {"epc_class": item.get("epcClass"), "quantity": item.get("quantity"), "uom": item.get("uom")}


def flatten_epcis(path: Path) -> dict[str, pa.Table]:
    """The five raw EPCIS tables of one document, each with ``_source_row`` = the event's position."""
    document = json.loads(path.read_text(encoding="utf-8-sig"))
    created = document.get("creationDate") if isinstance(document, dict) else None
    tables = {name: _Columns(name) for name in EPCIS_TABLES}
    for row, event in enumerate(events_of(document), start=1):
        if not isinstance(event, dict):
            continue
        key = event_key(event)
        tables["epcis_events"].add(row, **_event_row(event, key, created))
        _add_lists(tables, row, key, event)
    return {name: columns.to_arrow() for name, columns in tables.items()}
