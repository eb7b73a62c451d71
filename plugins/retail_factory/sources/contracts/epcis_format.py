"""EPCIS 2.0 documents (JSON / JSON-LD) from producers, checked against GS1's official JSON Schema.

EPCIS 2.0 JSON writes CBV values as bare words (``"bizStep": "shipping"``). Producers converting
from EPCIS 1.2 XML still send the URN (``urn:epcglobal:cbv:bizstep:shipping``) or the GS1 Web
URI (``https://ns.gs1.org/cbv/BizStep-shipping``); the contract accepts those spellings as the
same value, and checks the document against the schema with them written as bare words. The
landed file keeps its original bytes.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match

from retail_factory.sources.contracts.checks import check_name_date, check_not_empty, check_utf8
from retail_factory.sources.contracts.model import Contract, ValidationReport

SCHEMA_PATH = Path(__file__).parent / "schemas" / "epcis-2.0-json-schema.json"
MAX_REPORTED_ERRORS = 50

# CBV 2.0 §6 and §8: the URN and Web URI spellings of each vocabulary that events carry.
CBV_SPELLINGS = {
    "bizStep": ("urn:epcglobal:cbv:bizstep:", "https://ns.gs1.org/cbv/BizStep-"),
    "disposition": ("urn:epcglobal:cbv:disp:", "https://ns.gs1.org/cbv/Disp-"),
}


@lru_cache(maxsize=1)
def epcis_validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def cbv_bare_word(field: str, value: Any) -> Any:
    """``urn:epcglobal:cbv:bizstep:shipping`` → ``shipping``; other values unchanged."""
    if isinstance(value, str):
        for prefix in CBV_SPELLINGS.get(field, ()):
            if value.startswith(prefix):
                return value[len(prefix) :]
    return value


def events_of(document: Any) -> list[dict[str, Any]]:
    """The event list of an EPCISDocument or EPCISQueryDocument (empty if there is none)."""
    if not isinstance(document, dict):
        return []
    body = document.get("epcisBody") or {}
    if "eventList" in body:
        events = body["eventList"]
    else:
        events = ((body.get("queryResults") or {}).get("resultsBody") or {}).get("eventList", [])
    return events if isinstance(events, list) else []


def with_bare_cbv_words(document: Any) -> Any:
    normalised = copy.deepcopy(document)
    for event in events_of(normalised):
        if isinstance(event, dict):
            for field in CBV_SPELLINGS:
                if field in event:
                    event[field] = cbv_bare_word(field, event[field])
    return normalised


def _event_position(path: list[Any]) -> int | None:
    for previous, current in itertools.pairwise(path):
        if previous == "eventList" and isinstance(current, int):
            return current
    return None


def schema_errors(document: Any) -> Iterator[tuple[ValidationError, ValidationError]]:
    """(error, its most specific cause) pairs in document order; best_match descends anyOf/oneOf."""
    errors = sorted(epcis_validator().iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        yield error, best_match([error]) or error


def validate_epcis(path: Path, contract: Contract, ingest_date: dt.date | None = None) -> ValidationReport:
    report = ValidationReport(contract)
    if not check_not_empty(path, report) or not check_utf8(path, report):
        return report
    check_name_date(path.name, ingest_date, report)
    size = path.stat().st_size
    if contract.max_bytes and size > contract.max_bytes:
        report.add_file_error(
            "file_too_large",
            f"the document is {size:,} bytes; EPCIS documents may be at most {contract.max_bytes:,} bytes. "
            "Split the events over several documents.",
            expected=f"<= {contract.max_bytes} bytes",
            found=f"{size} bytes",
        )
        return report
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        report.add_file_error(
            "bad_json",
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            row=exc.lineno,
            expected="a JSON document",
        )
        return report
    events = events_of(document)
    report.rows = len(events)
    for count, (error, cause) in enumerate(schema_errors(with_bare_cbv_words(document))):
        if count == MAX_REPORTED_ERRORS:
            report.add_file_error("schema_violation", "more schema violations follow; only the first are listed")
            break
        _report_schema_error(report, events, error, cause)
    return report


def _report_schema_error(
    report: ValidationReport, events: list[Any], error: ValidationError, cause: ValidationError
) -> None:
    path = list(cause.absolute_path) or list(error.absolute_path)
    position = _event_position(path)
    where = "document"
    if position is not None:
        event = events[position] if position < len(events) and isinstance(events[position], dict) else {}
        where = f"event {position + 1}" + (f" ({event['eventID']})" if event.get("eventID") else "")
    field = ".".join(str(p) for p in path) or None
    last = path[-1] if path else None
    if last in CBV_SPELLINGS:
        vocabulary = "business step" if last == "bizStep" else "disposition"
        report.add_file_error(
            f"unknown_{last.lower()}",
            f"{where}: {last} {cause.instance!r} is not a CBV 2.0 {vocabulary}. Use a CBV value (bare word, "
            f"URN or GS1 Web URI), or a URI of your own outside the CBV namespaces for an extension.",
            row=None if position is None else position + 1,
            field=field,
            expected=f"a CBV 2.0 {vocabulary} or an extension URI",
            found=str(cause.instance),
        )
        return
    detail = cause.message if len(cause.message) <= 200 else "the value matches none of the allowed forms"
    report.add_file_error(
        "schema_violation",
        f"{where}: {detail} (EPCIS 2.0 JSON Schema, rule '{cause.validator}'" + (f" at {field})" if field else ")"),
        row=None if position is None else position + 1,
        field=field,
        expected=f"{cause.validator}: {json.dumps(cause.validator_value)[:120]}",
        found=json.dumps(cause.instance, ensure_ascii=False)[:200],
    )
