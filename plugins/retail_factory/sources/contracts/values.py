"""Vectorised value checks on Arrow string columns (CSV cells, Parquet text columns).

Arrow's own CSV conversion stops at the first bad cell and does not say which row it was in;
reading every column as text and checking it here finds *all* bad cells with their rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_factory.sources.contracts.model import TYPE_DESCRIPTIONS, Column, Finding

_TIME = r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?"
_OFFSET = r"(Z|[+-](0\d|1[0-4]):[0-5]\d)"
PATTERNS = {
    "integer": r"^[+-]?\d+$",
    "boolean": r"^(true|false)$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "timestamp": rf"^\d{{4}}-\d{{2}}-\d{{2}}T{_TIME}{_OFFSET}$",
    "gtin": r"^(\d{8}|\d{12,14})$",
    "gln": r"^\d{13}$",
    "sscc": r"^\d{18}$",
}


def decimal_pattern(separator: str) -> str:
    return rf"^[+-]?\d+({re.escape(separator)}\d+)?$"


def expected_text(column: Column, decimal_separator: str = ",") -> str:
    if column.enum:
        return "one of " + ", ".join(column.enum)
    if column.type == "decimal":
        return f"a decimal number written with '{decimal_separator}' as decimal separator, e.g. 2{decimal_separator}49"
    text = TYPE_DESCRIPTIONS[column.type]
    if column.max_length:
        text += f" of at most {column.max_length} characters"
    return text


def _calendar_invalid(values: pa.Array) -> pa.Array:
    """True where the first ten characters are not a real calendar date (2025-02-30 is not).

    A file holds few distinct days, so each distinct day is parsed once.
    """
    day = pc.utf8_slice_codeunits(values, 0, 10)
    distinct = pc.drop_null(pc.unique(day))
    parsed = pc.strptime(distinct, format="%Y-%m-%d", unit="s", error_is_null=True)
    real = pc.filter(distinct, pc.fill_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), distinct), False))
    return pc.invert(pc.is_in(day, value_set=real))


def invalid_mask(values: pa.Array, column: Column, decimal_separator: str) -> pa.Array | None:
    """True where a value is present and does not have the column's type; None when none is bad.

    Nulls are never "bad" here (a missing required value is reported on its own). Most files are
    clean, so each check first asks Arrow whether anything failed at all before building masks.
    """
    checks = []
    if column.enum:
        checks.append(pc.is_in(values, value_set=pa.array(column.enum)))
    elif column.type != "string":
        pattern = decimal_pattern(decimal_separator) if column.type == "decimal" else PATTERNS[column.type]
        checks.append(pc.match_substring_regex(values, pattern))
        if column.type in ("date", "timestamp"):
            checks.append(pc.invert(_calendar_invalid(values)))
    if column.max_length:
        checks.append(pc.less_equal(pc.utf8_length(values), column.max_length))
    failed = [pc.invert(pc.fill_null(ok, True)) for ok in checks if ok.false_count]
    if not failed:
        return None
    bad = failed[0]
    for more in failed[1:]:
        bad = pc.or_(bad, more)
    return pc.and_(bad, pc.is_valid(values))


def _rows(mask: pa.Array) -> np.ndarray:
    return np.flatnonzero(mask.to_numpy(zero_copy_only=False))


def missing_findings(values: pa.Array, column: Column, row_numbers: np.ndarray) -> Iterator[Finding]:
    """A required column left empty; ``row_numbers`` holds the file row of each value."""
    if not column.required or not values.null_count:
        return
    for index in _rows(pc.is_null(values)):
        row = int(row_numbers[index])
        yield Finding(
            "missing_value",
            f"row {row}: '{column.name}' is empty but the contract requires a value",
            row=row,
            field=column.name,
            expected=expected_text(column),
            found="(empty)",
        )


def bad_value_findings(
    values: pa.Array, column: Column, row_numbers: np.ndarray, decimal_separator: str
) -> Iterator[Finding]:
    """Text values that do not have the column's type (``values`` must be an Arrow string array)."""
    mask = invalid_mask(values, column, decimal_separator)
    if mask is None:
        return
    bad = _rows(mask)
    if not len(bad):
        return
    found_values = values.take(pa.array(bad)).to_pylist()
    expected = expected_text(column, decimal_separator)
    for index, found in zip(bad, found_values, strict=True):
        row = int(row_numbers[index])
        yield Finding(
            "bad_value",
            f"row {row}: '{column.name}' is {found!r}, expected {expected}",
            row=row,
            field=column.name,
            expected=expected,
            found=str(found),
        )


def business_date_mismatches(values: pa.Array, ingest_date: dt.date) -> np.ndarray:
    """Indexes of rows whose date (first ten characters, local date of a timestamp) is not ``ingest_date``."""
    day = pc.utf8_slice_codeunits(values, 0, 10)
    mismatch = pc.and_(pc.not_equal(day, ingest_date.isoformat()), pc.is_valid(values))
    return _rows(mismatch)
