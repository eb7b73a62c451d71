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
    """True where the first ten characters are not a real calendar date (2025-02-30 is not)."""
    day = pc.utf8_slice_codeunits(values, 0, 10)
    parsed = pc.strptime(day, format="%Y-%m-%d", unit="s", error_is_null=True)
    roundtrip = pc.strftime(parsed, format="%Y-%m-%d")
    return pc.fill_null(pc.not_equal(roundtrip, day), True)


def invalid_mask(values: pa.Array, column: Column, decimal_separator: str) -> pa.Array:
    """True where a value is present and does not have the column's type (nulls are not invalid)."""
    if column.enum:
        bad = pc.invert(pc.is_in(values, value_set=pa.array(column.enum)))
    elif column.type == "string":
        bad = pa.array(np.zeros(len(values), dtype=bool))
    else:
        pattern = decimal_pattern(decimal_separator) if column.type == "decimal" else PATTERNS[column.type]
        bad = pc.invert(pc.match_substring_regex(values, pattern))
        if column.type in ("date", "timestamp"):
            bad = pc.or_(bad, _calendar_invalid(values))
    if column.max_length:
        bad = pc.or_(bad, pc.greater(pc.utf8_length(values), column.max_length))
    return pc.and_(pc.fill_null(bad, False), pc.is_valid(values))


def _rows(mask: pa.Array) -> np.ndarray:
    return np.flatnonzero(mask.to_numpy(zero_copy_only=False))


def missing_findings(values: pa.Array, column: Column, row_numbers: np.ndarray) -> Iterator[Finding]:
    """A required column left empty; ``row_numbers`` holds the file row of each value."""
    if not column.required:
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
    bad = _rows(invalid_mask(values, column, decimal_separator))
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
