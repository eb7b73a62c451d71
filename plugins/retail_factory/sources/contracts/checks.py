"""Checks every format shares: empty files, text encoding, the date folder, duplicate keys."""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_factory.sources.contracts.model import Finding, ValidationReport

_CHUNK = 1 << 20
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
MAX_KEPT = 10_000  # off-date rows remembered per file before the verdict is known


def check_not_empty(path: Path, report: ValidationReport) -> bool:
    if path.stat().st_size == 0:
        report.add_file_error(
            "empty_file",
            "the file is empty (0 bytes); the export probably failed. Deliver the file again.",
            expected="at least a header line" if report.contract.format == "csv" else "data",
            found="0 bytes",
        )
        return False
    return True


def _encoding_guess(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 (a byte-order mark is at the start)"
    return "Windows-1252 / Latin-1"


def check_utf8(path: Path, report: ValidationReport) -> bool:
    """Stream the file through a UTF-8 decoder; report the first bad byte with its line."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, line = 0, 1
    with path.open("rb") as stream:
        head = stream.read(4)
        stream.seek(0)
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line += chunk.count(b"\n", 0, exc.start)
                report.add_file_error(
                    "bad_encoding",
                    f"byte {offset + exc.start} (line {line}) is not valid UTF-8; the file looks like "
                    f"{_encoding_guess(head)}. The contract requires UTF-8: export the file as UTF-8.",
                    row=line,
                    expected="UTF-8",
                    found=chunk[max(0, exc.start - 12) : exc.start + 4].decode("latin-1"),
                )
                return False
            line += chunk.count(b"\n")
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            report.add_file_error(
                "bad_encoding",
                "the file ends in the middle of a UTF-8 character: it was cut short. Deliver it again.",
                expected="UTF-8",
                found="truncated multi-byte sequence",
            )
            return False
    return True


def report_missing_column(report: ValidationReport, name: str, found: str, **where: Any) -> None:
    """A required column (or JSON field) that the file does not have at all."""
    report.add_file_error(
        "missing_column",
        f"the required column '{name}' is not in the file. Add it (see docs/contracts.md).",
        field=name,
        expected=f"a column named '{name}'",
        found=found,
        **where,
    )


def flag_extra_columns(report: ValidationReport, extra: Sequence[str]) -> None:
    """Columns the contract does not know: accepted and flagged (the file lands, nothing reads them)."""
    if not extra:
        return
    contract = report.contract
    report.add_warning(
        "extra_column",
        f"column(s) {', '.join(extra)} are not in contract {contract.name} v{contract.version}: the file lands "
        "and the columns are kept, but nothing downstream reads them until the contract adds them.",
        field=", ".join(extra),
    )


def check_name_date(file_name: str, ingest_date: dt.date | None, report: ValidationReport) -> None:
    """A date written in the file name must be the folder's date."""
    if ingest_date is None:
        return
    found = []
    for match in _NAME_DATE.finditer(file_name):
        try:
            found.append(dt.date(*(int(part) for part in match.groups())))
        except ValueError:
            continue
    if found and ingest_date not in found:
        report.add_file_error(
            "wrong_date_folder",
            f"the file name says {found[0].isoformat()} but the file sits in the {ingest_date.isoformat()} "
            f"folder. Move it to the {found[0].isoformat()} folder.",
            expected=ingest_date.isoformat(),
            found=found[0].isoformat(),
        )


class BusinessDateCheck:
    """Rows must carry the ingest date; if none does, the whole file is in the wrong folder."""

    def __init__(self, column: str | None, ingest_date: dt.date | None) -> None:
        self.column = column
        self.ingest_date = ingest_date
        self.on_date = 0
        self.off_date: list[tuple[int, str]] = []
        self.off_date_total = 0

    @property
    def active(self) -> bool:
        return self.column is not None and self.ingest_date is not None

    def observe(self, rows: Sequence[int], values: Sequence[str | None], rows_in_batch: int) -> None:
        """``rows``/``values``: the off-date rows of a batch of ``rows_in_batch`` dated rows."""
        self.on_date += rows_in_batch - len(rows)
        self.off_date_total += len(rows)
        room = MAX_KEPT - len(self.off_date)
        self.off_date.extend(zip(rows[:room], values[:room], strict=True))

    def finish(self, report: ValidationReport) -> None:
        if not self.active or not self.off_date_total:
            return
        assert self.ingest_date is not None
        day = self.ingest_date.isoformat()
        if self.on_date == 0:
            found = sorted({str(value)[:10] for _, value in self.off_date})
            report.add_file_error(
                "wrong_date_folder",
                f"no row is dated {day}: every '{self.column}' is on {', '.join(found[:3])}. The file was "
                f"delivered into the wrong date folder; move it to the folder of its date.",
                field=self.column,
                expected=day,
                found=", ".join(found[:3]),
            )
            return
        for row, value in self.off_date:
            report.add_row_finding(
                Finding(
                    "wrong_date",
                    f"row {row}: '{self.column}' is {value!r}, not on {day}, the date of the folder",
                    row=row,
                    field=self.column,
                    expected=day,
                    found=str(value),
                )
            )


class KeyTracker:
    """Finds rows that repeat the primary key of an earlier row of the same file.

    Key columns are kept for the first ``MAX_KEYED_ROWS`` rows only, so memory stays bounded for
    any file size; past that the warehouse's own uniqueness tests still catch repeats. The work is
    done by Arrow (a group-by), not row by row in Python.
    """

    MAX_KEYED_ROWS = 500_000

    def __init__(self, key: tuple[str, ...]) -> None:
        self.key = key
        self._batches: list[pa.Table] = []
        self._kept = 0
        self.truncated = False

    def observe(self, columns: Sequence[pa.Array], rows: np.ndarray) -> None:
        if not self.key or self.truncated:
            return
        room = self.MAX_KEYED_ROWS - self._kept
        if room < len(rows):
            self.truncated = True
        if room <= 0:
            return
        arrays = [pc.cast(column[:room], pa.string()) for column in columns]
        self._batches.append(pa.table([*arrays, pa.array(rows[:room], pa.int64())], names=[*self.key, "_row"]))
        self._kept += min(room, len(rows))

    def finish(self, report: ValidationReport) -> None:
        if self.truncated:
            report.add_warning(
                "keys_not_checked",
                f"key uniqueness was checked on the first {self._kept:,} rows only (memory bound); "
                "the warehouse checks the rest",
            )
        if not self._batches:
            return
        table = pa.concat_tables(self._batches)
        keys = [table[k] for k in self.key]
        joined = keys[0] if len(keys) == 1 else pc.binary_join_element_wise(*keys, "\x1f")
        if pc.count_distinct(joined, mode="all").as_py() == table.num_rows:
            return  # the common case, answered by one hash count
        first = table.group_by(list(self.key), use_threads=False).aggregate([("_row", "min"), ("_row", "count")])
        repeated = first.filter(pc.greater(first["_row_count"], 1))
        if repeated.num_rows == 0:
            return
        rows = table.join(repeated, keys=list(self.key), use_threads=False)
        rows = rows.filter(pc.not_equal(rows["_row"], rows["_row_min"])).sort_by("_row")
        key = ", ".join(self.key)
        for row, first_row in zip(rows["_row"].to_pylist(), rows["_row_min"].to_pylist(), strict=True):
            report.add_row_finding(
                Finding(
                    "duplicate_key",
                    f"row {row}: the key ({key}) repeats row {first_row}; each key may appear once per file",
                    row=row,
                    field=key,
                    expected="a key not seen earlier in the file",
                    found=f"same as row {first_row}",
                )
            )
