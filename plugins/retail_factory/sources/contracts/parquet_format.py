"""Parquet files (stock snapshots exported by the stores' systems)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from retail_factory.sources.contracts.checks import (
    BusinessDateCheck,
    KeyTracker,
    check_name_date,
    check_not_empty,
    flag_extra_columns,
    report_missing_column,
)
from retail_factory.sources.contracts.model import TYPE_DESCRIPTIONS, Contract, ValidationReport
from retail_factory.sources.contracts.values import (
    bad_value_findings,
    business_date_mismatches,
    missing_findings,
)

BATCH_ROWS = 64_000


def _is_text(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


ARROW_TYPES: dict[str, Callable[[pa.DataType], bool]] = {
    "string": _is_text,
    "gtin": _is_text,
    "gln": _is_text,
    "sscc": _is_text,
    "integer": pa.types.is_integer,
    "decimal": lambda t: pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_integer(t),
    "date": pa.types.is_date,
    "timestamp": pa.types.is_timestamp,
    "boolean": pa.types.is_boolean,
}
TEXT_CHECKED = {"gtin", "gln", "sscc"}


def _unreadable(report: ValidationReport, exc: Exception) -> ValidationReport:
    report.add_file_error(
        "unreadable_parquet",
        f"the file is not readable Parquet ({exc}); it is probably truncated or corrupt. Deliver it again.",
        expected="a complete Parquet file",
        found=str(exc)[:200],
    )
    return report


def _check_schema(schema: pa.Schema, contract: Contract, report: ValidationReport) -> list[str]:
    present = []
    for column in contract.columns:
        if column.name not in schema.names:
            if column.required:
                report_missing_column(report, column.name, ", ".join(schema.names))
            continue
        arrow_type = schema.field(column.name).type
        if not ARROW_TYPES[column.type](arrow_type):
            report.add_file_error(
                "wrong_type",
                f"column '{column.name}' is stored as {arrow_type}, expected {TYPE_DESCRIPTIONS[column.type]}. "
                "Fix the export's column type.",
                field=column.name,
                expected=column.type,
                found=str(arrow_type),
            )
        present.append(column.name)
    flag_extra_columns(report, [name for name in schema.names if contract.column(name) is None])
    return present


def validate_parquet(path: Path, contract: Contract, ingest_date: dt.date | None = None) -> ValidationReport:
    report = ValidationReport(contract)
    if not check_not_empty(path, report):
        return report
    check_name_date(path.name, ingest_date, report)
    try:
        # pages written with CRC checksums are verified, so corruption inside a page is caught too
        parquet = pq.ParquetFile(path, page_checksum_verification=True)
    except (pa.ArrowException, OSError) as exc:
        return _unreadable(report, exc)
    present = _check_schema(parquet.schema_arrow, contract, report)
    if report.file_errors:
        return report

    dates = BusinessDateCheck(contract.business_date, ingest_date)
    keys = KeyTracker(contract.primary_key)
    seen = 0
    try:
        # Reading every page (not only the footer) is what finds corruption inside the file.
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=present):
            rows = np.arange(seen + 1, seen + 1 + batch.num_rows)
            seen += batch.num_rows
            _check_batch(batch, rows, contract, report, dates, keys)
    except (pa.ArrowException, OSError) as exc:
        return _unreadable(report, exc)
    report.rows = seen
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
    for name in batch.schema.names:
        column = contract.column(name)
        assert column is not None
        values = batch[name]
        for finding in missing_findings(values, column, rows):
            report.add_row_finding(finding)
        if column.type in TEXT_CHECKED or column.enum or column.max_length:
            for finding in bad_value_findings(values, column, rows, contract.decimal_separator):
                report.add_row_finding(finding)
    if dates.active and contract.business_date in batch.schema.names:
        values = pc.cast(batch[contract.business_date], pa.string())
        off = business_date_mismatches(values, dates.ingest_date)
        dates.observe(rows[off].tolist(), values.take(pa.array(off)).to_pylist(), len(values) - values.null_count)
    if contract.primary_key and all(k in batch.schema.names for k in contract.primary_key):
        keys.observe([batch[k] for k in contract.primary_key], rows)
