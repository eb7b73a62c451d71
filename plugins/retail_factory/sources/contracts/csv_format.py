"""CSV files (French till and ERP exports: ';' separated, decimal commas, UTF-8)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from retail_factory.sources.contracts.checks import (
    BusinessDateCheck,
    KeyTracker,
    check_name_date,
    check_not_empty,
    check_utf8,
    flag_extra_columns,
    report_missing_column,
)
from retail_factory.sources.contracts.model import Contract, Finding, ValidationReport
from retail_factory.sources.contracts.values import (
    bad_value_findings,
    business_date_mismatches,
    missing_findings,
)

# Bytes parsed at a time. Arrow's streaming reader keeps a queue of blocks read ahead from a path
# (about twenty); reading from a Python file object with small blocks keeps memory flat.
BLOCK_SIZE = 1 << 20
OTHER_DELIMITERS = (",", "\t", "|", ";")


def _read_header(path: Path) -> str:
    with path.open("rb") as stream:
        line = stream.readline(1 << 16)
    return line.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")


def _check_header(header: str, contract: Contract, report: ValidationReport) -> list[str] | None:
    delimiter = contract.delimiter
    columns = next(csv.reader(io.StringIO(header), delimiter=delimiter))
    if len(columns) == 1:
        other = next((d for d in OTHER_DELIMITERS if d != delimiter and d in header), None)
        if other is not None:
            report.add_file_error(
                "wrong_delimiter",
                f"the header is separated by {other!r}, but the contract expects {delimiter!r}. "
                f"Export the file with {delimiter!r} as field separator.",
                row=0,
                expected=repr(delimiter),
                found=repr(other),
            )
            return None
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        report.add_file_error(
            "duplicate_column",
            f"the header names {', '.join(duplicated)} more than once",
            row=0,
            found=", ".join(duplicated),
        )
    for name in contract.required_columns:
        if name not in columns:
            report_missing_column(report, name, "; ".join(columns), row=0)
    known = {c.name for c in contract.columns}
    flag_extra_columns(report, [c for c in columns if c not in known])
    return None if report.file_errors else columns


def _physical_rows(count: int, first: int, skipped: list[int]) -> np.ndarray:
    """File rows of ``count`` parsed rows starting after ``first - 1`` parsed rows, skipping bad rows."""
    rows = np.arange(first, first + count, dtype=np.int64)
    for skipped_row in skipped:  # sorted; few (a file with many is rejected anyway)
        rows[rows >= skipped_row] += 1
    return rows


def _batches(
    stream: BinaryIO,
    header: list[str],
    contract: Contract,
    on_malformed_row: Callable[[pacsv.InvalidRow], str],
) -> pacsv.CSVStreamingReader:
    """Every column as text, block by block; rows with the wrong number of fields go to the handler."""
    return pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE, use_threads=False),
        parse_options=pacsv.ParseOptions(delimiter=contract.delimiter, invalid_row_handler=on_malformed_row),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )


def validate_csv(path: Path, contract: Contract, ingest_date: dt.date | None = None) -> ValidationReport:
    report = ValidationReport(contract)
    if not check_not_empty(path, report):
        return report
    check_name_date(path.name, ingest_date, report)
    try:
        header = _check_header(_read_header(path), contract, report)
    except UnicodeDecodeError:
        check_utf8(path, report)
        return report
    if header is None:
        return report

    malformed: list[Finding] = []

    def on_malformed_row(row: pacsv.InvalidRow) -> str:
        data_row = (row.number or 0) - 1
        malformed.append(
            Finding(
                "malformed_row",
                f"row {data_row}: {row.actual_columns} fields where the header has {row.expected_columns}",
                row=data_row,
                expected=f"{row.expected_columns} fields separated by {contract.delimiter!r}",
                found=row.text[:200],
            )
        )
        return "skip"

    dates = BusinessDateCheck(contract.business_date, ingest_date)
    keys = KeyTracker(contract.primary_key)
    parsed = 0
    try:
        with path.open("rb") as stream:
            for batch in _batches(stream, header, contract, on_malformed_row):
                rows = _physical_rows(batch.num_rows, parsed + 1, sorted(f.row or 0 for f in malformed))
                parsed += batch.num_rows
                _check_batch(batch, rows, contract, report, dates, keys)
    except pa.ArrowInvalid as exc:
        # Arrow checks UTF-8 as it parses; the slower byte-by-byte pass only runs to say where.
        if "UTF8" in str(exc) and not check_utf8(path, report):
            return report
        report.add_file_error("unreadable_csv", f"the file cannot be parsed as CSV: {exc}")
        return report
    report.rows = parsed + len(malformed)
    for finding in malformed:
        report.add_row_finding(finding)
    dates.finish(report)
    keys.finish(report)
    return report


def _check_batch(
    batch: pa.RecordBatch,
    rows: np.ndarray,
    contract: Contract,
    report: ValidationReport,
    dates: BusinessDateCheck,
    keys: KeyTracker,
) -> None:
    for column in contract.columns:
        if column.name in batch.schema.names:
            values = batch[column.name]
            for finding in missing_findings(values, column, rows):
                report.add_row_finding(finding)
            for finding in bad_value_findings(values, column, rows, contract.decimal_separator):
                report.add_row_finding(finding)
    if dates.active and contract.business_date in batch.schema.names:
        values = batch[contract.business_date]
        off = business_date_mismatches(values, dates.ingest_date)
        dates.observe(rows[off].tolist(), values.take(pa.array(off)).to_pylist(), len(values) - values.null_count)
    if contract.primary_key and all(k in batch.schema.names for k in contract.primary_key):
        keys.observe([batch[k] for k in contract.primary_key], rows)
