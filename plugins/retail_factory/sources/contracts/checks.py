"""Checks every format shares: empty files, text encoding, the date folder, duplicate keys."""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

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

    It keeps 12 bytes per row (a 64-bit hash of the key and the row number) for the first
    ``MAX_KEYED_ROWS`` rows only, so memory stays bounded for any file size; past that the
    warehouse's own uniqueness tests still catch repeats.
    """

    MAX_KEYED_ROWS = 500_000

    def __init__(self, key: tuple[str, ...]) -> None:
        self.key = key
        self._hashes: list[np.ndarray] = []
        self._rows: list[np.ndarray] = []
        self._kept = 0
        self.truncated_at: int | None = None

    def observe(self, columns: Sequence[pa.Array], rows: np.ndarray) -> None:
        if not self.key or self.truncated_at is not None:
            return
        room = self.MAX_KEYED_ROWS - self._kept
        if room <= 0:
            self.truncated_at = int(rows[0]) if len(rows) else self._kept
            return
        frame = pd.DataFrame({str(i): col.to_pandas() for i, col in enumerate(columns)}).iloc[:room]
        self._hashes.append(pd.util.hash_pandas_object(frame, index=False).to_numpy())
        self._rows.append(np.asarray(rows[:room], dtype=np.int32))
        self._kept += len(frame)

    def finish(self, report: ValidationReport) -> None:
        if self.truncated_at is not None:
            report.add_warning(
                "keys_not_checked",
                f"key uniqueness was checked on the first {self._kept:,} rows "
                "only (memory bound); the warehouse checks the rest",
            )
        if not self._hashes:
            return
        hashes = np.concatenate(self._hashes)
        rows = np.concatenate(self._rows)
        order = np.argsort(hashes, kind="stable")
        sorted_hashes = hashes[order]
        repeats = np.flatnonzero(sorted_hashes[1:] == sorted_hashes[:-1]) + 1
        key = ", ".join(self.key)
        for position in repeats:
            first = position
            while first > 0 and sorted_hashes[first - 1] == sorted_hashes[position]:
                first -= 1
            row, first_row = int(rows[order[position]]), int(rows[order[first]])
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
