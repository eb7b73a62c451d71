"""JSON Lines files (master data: the catalog, stores, warehouses, producers, farms).

Each line is checked against a JSON Schema (draft-07) built from the contract's columns: first by
``fastjsonschema`` (compiled, fast), and a line that fails is checked again by ``jsonschema`` so
every error of the line is reported with its field.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from retail_factory.sources.contracts.checks import (
    BusinessDateCheck,
    check_name_date,
    check_not_empty,
    check_utf8,
    flag_extra_columns,
    report_missing_column,
)
from retail_factory.sources.contracts.model import Column, Contract, Finding, ValidationReport
from retail_factory.sources.contracts.values import PATTERNS, expected_text

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "gtin": {"type": "string", "pattern": PATTERNS["gtin"]},
    "gln": {"type": "string", "pattern": PATTERNS["gln"]},
    "sscc": {"type": "string", "pattern": PATTERNS["sscc"]},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "timestamp": {"type": "string", "format": "date-time"},
    "boolean": {"type": "boolean"},
    "array": {"type": "array"},
}


def column_schema(column: Column) -> dict[str, Any]:
    if column.type == "object":
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {f.name: column_schema(f) for f in column.fields},
            "required": [f.name for f in column.fields if f.required],
        }
    else:
        schema = dict(_JSON_TYPES[column.type])
    if column.enum:
        schema["enum"] = list(column.enum)
    if column.max_length:
        schema["maxLength"] = column.max_length
    if not column.required:  # null allowed; the other keywords only apply to non-null values
        schema["type"] = [schema["type"], "null"]
        if column.enum:
            schema["enum"].append(None)
    return schema


def json_schema(contract: Contract) -> dict[str, Any]:
    """The JSON Schema of one line of the entity (published in docs/contracts.md)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": f"{contract.name} v{contract.version}",
        "type": "object",
        "properties": {c.name: column_schema(c) for c in contract.columns},
        "required": list(contract.required_columns),
    }


@cache
def _validator(contract: Contract) -> Draft7Validator:
    return Draft7Validator(json_schema(contract), format_checker=Draft7Validator.FORMAT_CHECKER)


@cache
def _fast_check(contract: Contract):
    """The same schema compiled to Python by fastjsonschema: tens of times faster on clean lines."""
    return fastjsonschema.compile(json_schema(contract))


def _line_errors(record: dict[str, Any], contract: Contract) -> list[ValidationError]:
    try:
        _fast_check(contract)(record)
    except fastjsonschema.JsonSchemaValueException:
        return list(_validator(contract).iter_errors(record))  # every error of the line, well explained
    return []


def _find_column(contract: Contract, path: list[str]) -> Column | None:
    columns, column = contract.columns, None
    for part in path:
        column = next((c for c in columns if c.name == part), None)
        if column is None:
            return None
        columns = column.fields
    return column


def _finding(line: int, error: ValidationError, contract: Contract) -> Finding:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = next(name for name in error.validator_value if name not in error.instance)
        field = ".".join([*path, missing])
        return Finding(
            "missing_value",
            f"line {line}: '{field}' is missing but the contract requires it",
            row=line,
            field=field,
            expected="a value",
            found="(missing)",
        )
    field = ".".join(path) or "(line)"
    column = _find_column(contract, path)
    expected = expected_text(column, ".") if column else str(error.validator_value)
    if error.instance is None:
        return Finding(
            "missing_value",
            f"line {line}: '{field}' is null but the contract requires a value",
            row=line,
            field=field,
            expected=expected,
            found="null",
        )
    return Finding(
        "bad_value",
        f"line {line}: '{field}' is {error.instance!r}, expected {expected}",
        row=line,
        field=field,
        expected=expected,
        found=json.dumps(error.instance, ensure_ascii=False)[:200],
    )


def validate_jsonl(path: Path, contract: Contract, ingest_date: dt.date | None = None) -> ValidationReport:
    report = ValidationReport(contract)
    if not check_not_empty(path, report):
        return report
    check_name_date(path.name, ingest_date, report)
    try:
        return _validate_lines(path, contract, ingest_date, report)
    except UnicodeDecodeError:  # Python decodes as it reads; the byte-by-byte pass only says where
        report = ValidationReport(contract)
        check_utf8(path, report)
        return report


def _validate_lines(
    path: Path, contract: Contract, ingest_date: dt.date | None, report: ValidationReport
) -> ValidationReport:
    known = {c.name for c in contract.columns}
    extra: set[str] = set()
    keys: dict[tuple[Any, ...], int] = {}
    dates = BusinessDateCheck(contract.business_date, ingest_date)
    absent: dict[str, int] = dict.fromkeys(contract.required_columns, 0)
    with path.open(encoding="utf-8-sig") as lines:
        for line_number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            report.rows += 1
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                report.add_row_finding(
                    Finding(
                        "bad_json",
                        f"line {line_number}: not valid JSON ({exc.msg} at column {exc.colno})",
                        row=line_number,
                        expected="one JSON object per line",
                        found=text[:200].rstrip(),
                    )
                )
                continue
            if not isinstance(record, dict):
                report.add_row_finding(
                    Finding(
                        "bad_json",
                        f"line {line_number}: a JSON {type(record).__name__}, expected an object",
                        row=line_number,
                        expected="a JSON object",
                        found=text[:200].rstrip(),
                    )
                )
                continue
            for error in _line_errors(record, contract):
                report.add_row_finding(_finding(line_number, error, contract))
            extra.update(record.keys() - known)
            for name in absent.keys() - record.keys():
                absent[name] += 1
            _observe_key(record, line_number, contract, keys, report)
            _observe_date(record, line_number, contract, dates)
    flag_extra_columns(report, sorted(extra))
    for name, count in absent.items():
        if report.rows and count == report.rows:  # absent from every line: the export lost a column
            report_missing_column(report, name, "absent from every line")
    dates.finish(report)
    return report


def _observe_key(
    record: dict[str, Any],
    line: int,
    contract: Contract,
    keys: dict[tuple[Any, ...], int],
    report: ValidationReport,
) -> None:
    if not contract.primary_key:
        return
    key = tuple(json.dumps(record.get(k)) for k in contract.primary_key)
    first = keys.setdefault(key, line)
    if first != line:
        names = ", ".join(contract.primary_key)
        report.add_row_finding(
            Finding(
                "duplicate_key",
                f"line {line}: the key ({names}) repeats line {first}; each key may appear once per file",
                row=line,
                field=names,
                expected="a key not seen earlier in the file",
                found=", ".join(key),
            )
        )


def _observe_date(record: dict[str, Any], line: int, contract: Contract, dates: BusinessDateCheck) -> None:
    if not dates.active:
        return
    value = record.get(contract.business_date or "")
    if not isinstance(value, str):
        return
    assert dates.ingest_date is not None
    off = value[:10] != dates.ingest_date.isoformat()
    dates.observe([line] if off else [], [value] if off else [], 1)
