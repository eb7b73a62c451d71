"""Bad deliveries, injected on purpose into written files and recorded in the truth.

Each fault kind is what real sources get wrong: empty or cut files, the wrong export settings,
columns added or lost, a file sent twice, dropped into the wrong folder or badly named, EPCIS that
breaks the standard. Each record says what the landing must do with the file.

``GATE_FAULTS`` are subtler: files that keep their contract and land, with data that is wrong for
the trade (stock that does not follow the movements, unknown products, broken check digits,
receipts before their shipment, a transformation that makes more than it took in). The landing
cannot see them; the quality gates must, and ``CAUGHT_BY`` names the expectation that does.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from retail_factory.sources.contracts import Contract
from retail_factory.sources.simulator.writers import WrittenFile

QUARANTINED = "quarantined"
FLAGGED = "landed_flagged"
ROWS_REJECTED = "landed_with_rejected_rows"
LANDED = "landed"  # the landing accepts it: a quality gate must stop it (CAUGHT_BY)


@dataclass(frozen=True)
class InjectedFault:
    date: str  # the day being simulated
    domain: str
    entity: str
    kind: str
    file: str  # path of the faulty file, relative to the simulation's output folder
    expected: str  # what the landing must do with it
    detail: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _read_csv(path: Path, contract: Contract) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=contract.delimiter))


def _write_csv(path: Path, rows: list[list[str]], delimiter: str, encoding: str = "utf-8") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))


def _typed_columns(contract: Contract, types: tuple[str, ...]) -> list[str]:
    return [c.name for c in contract.columns if c.type in types and c.required]


# --- the faults: each takes (file, rng) and returns (path of the faulty file, detail, expected) ------


def empty_file(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    file.path.write_bytes(b"")
    return file.path, "the file was emptied (0 bytes)", QUARANTINED


def truncated_parquet(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    data = file.path.read_bytes()
    cut = int(len(data) * rng.uniform(0.3, 0.8))
    file.path.write_bytes(data[:cut])
    return file.path, f"cut after {cut} of {len(data)} bytes", QUARANTINED


def corrupt_parquet(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    data = bytearray(file.path.read_bytes())
    data[-8:] = rng.bytes(8)
    file.path.write_bytes(bytes(data))
    return file.path, "footer overwritten with random bytes", QUARANTINED


def wrong_delimiter(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    _write_csv(file.path, _read_csv(file.path, file.contract), ",")
    return file.path, "exported with ',' instead of ';'", QUARANTINED


def wrong_encoding(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    text = file.path.read_text(encoding="utf-8")
    encoding = "cp1252" if any(ord(ch) > 127 for ch in text) else "utf-16"
    file.path.write_bytes(text.encode(encoding, errors="replace"))
    return file.path, f"encoded as {encoding} instead of UTF-8", QUARANTINED


def missing_column(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    required = list(file.contract.required_columns)
    dropped = required[1 + int(rng.integers(len(required) - 1))]
    fmt = file.contract.format
    if fmt == "csv":
        rows = _read_csv(file.path, file.contract)
        index = rows[0].index(dropped)
        _write_csv(file.path, [r[:index] + r[index + 1 :] for r in rows], file.contract.delimiter)
    elif fmt == "parquet":
        table = pq.read_table(file.path)
        pq.write_table(table.drop_columns([dropped]), file.path)
    else:
        lines = [json.loads(x) for x in file.path.read_text(encoding="utf-8").splitlines() if x.strip()]
        file.path.write_text(
            "".join(json.dumps({k: v for k, v in r.items() if k != dropped}, ensure_ascii=False) + "\n" for r in lines),
            encoding="utf-8",
        )
    return file.path, f"required column '{dropped}' removed", QUARANTINED


def extra_column(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    fmt, name = file.contract.format, "commentaire_magasin"
    if fmt == "csv":
        rows = _read_csv(file.path, file.contract)
        _write_csv(file.path, [rows[0] + [name]] + [[*r, "RAS"] for r in rows[1:]], file.contract.delimiter)
    elif fmt == "parquet":
        table = pq.read_table(file.path)
        pq.write_table(table.append_column(name, pa.array(["RAS"] * table.num_rows)), file.path)
    else:
        lines = [json.loads(x) for x in file.path.read_text(encoding="utf-8").splitlines() if x.strip()]
        file.path.write_text(
            "".join(json.dumps(r | {name: "RAS"}, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8"
        )
    return file.path, f"unknown column '{name}' added", FLAGGED


def bad_values(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    rows = _read_csv(file.path, file.contract)
    columns = _typed_columns(file.contract, ("integer", "decimal", "date", "timestamp", "gtin", "gln"))
    column = columns[int(rng.integers(len(columns)))]
    index = rows[0].index(column)
    broken = sorted({1 + int(rng.integers(len(rows) - 1)) for _ in range(int(rng.integers(1, 3)))})
    for row in broken:
        rows[row][index] = ("N/A", "12abc", "??", "#VALEUR!")[int(rng.integers(4))]
    _write_csv(file.path, rows, file.contract.delimiter)
    data_rows = len(rows) - 1
    expected = ROWS_REJECTED if len(broken) <= file.contract.max_bad_row_fraction * data_rows else QUARANTINED
    return file.path, f"'{column}' unreadable in data row(s) {', '.join(map(str, broken))}", expected


def decimal_point(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    rows = _read_csv(file.path, file.contract)
    decimals = [rows[0].index(c) for c in _typed_columns(file.contract, ("decimal",))]
    for row in rows[1:]:
        for index in decimals:
            row[index] = row[index].replace(",", ".")
    _write_csv(file.path, rows, file.contract.delimiter)
    return file.path, "decimals written with '.' instead of ','", QUARANTINED


def wrong_type_column(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    table = pq.read_table(file.path)
    column = _typed_columns(file.contract, ("integer",))[0]
    index = table.schema.get_field_index(column)
    table = table.set_column(index, column, pc.cast(table[column], pa.string()))
    pq.write_table(table, file.path)
    return file.path, f"'{column}' stored as text", QUARANTINED


def duplicate_file(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    copy = file.path.with_name(f"{file.path.stem}_resent{file.path.suffix}")
    shutil.copyfile(file.path, copy)
    return copy, f"same bytes as {file.path.name}, delivered again", QUARANTINED


def wrong_date_folder(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    folder = file.path.parent
    next_day = (dt.date.fromisoformat(folder.name) + dt.timedelta(days=1)).isoformat()
    target = folder.parent / next_day / file.path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(file.path, target)
    return target, f"delivered into the {next_day} folder", QUARANTINED


ODD_NAMES = ("..{name}", "{stem} (1){suffix}", "{stem}#?{suffix}", "..\\{name}", "{stem}é{suffix}")


def odd_file_name(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    pattern = ODD_NAMES[int(rng.integers(len(ODD_NAMES)))]
    name = pattern.format(name=file.path.name, stem=file.path.stem, suffix=file.path.suffix)
    target = file.path.with_name(name)
    file.path.rename(target)
    return target, f"renamed to {name!r}", QUARANTINED


def _edit_first_event(file: WrittenFile, edit: Callable[[dict], str]) -> str:
    document = json.loads(file.path.read_text(encoding="utf-8"))
    detail = edit(document["epcisBody"]["eventList"][0])
    file.path.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    return detail


def epcis_schema_invalid(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    def edit(event: dict) -> str:
        if rng.random() < 0.5:
            del event["eventTime"]
            return "first event has no eventTime"
        event["eventTimeZoneOffset"] = "CET"
        return "first event's eventTimeZoneOffset is 'CET'"

    return file.path, _edit_first_event(file, edit), QUARANTINED


def epcis_unknown_bizstep(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    step = ("urn:epcglobal:cbv:bizstep:teleporting", "quality_checking")[int(rng.integers(2))]

    def edit(event: dict) -> str:
        event["bizStep"] = step
        return f"first event's bizStep is {step!r}"

    return file.path, _edit_first_event(file, edit), QUARANTINED


# --- faults the landing lets through and the quality gates must catch --------------------------


def stock_drift(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    table = pq.read_table(file.path)
    offset = int(rng.integers(20, 40))
    index = table.schema.get_field_index("on_hand_qty")
    drifted = pc.cast(pc.add(table["on_hand_qty"], offset), table.schema.field(index).type)
    pq.write_table(table.set_column(index, "on_hand_qty", drifted), file.path)
    return file.path, f"every on_hand_qty raised by {offset} units that no movement explains", LANDED


def _edit_csv_rows(file: WrittenFile, column: str, share: float, edit: Callable[[str], str]) -> list[int]:
    rows = _read_csv(file.path, file.contract)
    index = rows[0].index(column)
    edited = [n for n in range(1, len(rows)) if n % round(1 / share) == 0] or [1]
    for n in edited:
        rows[n][index] = edit(rows[n][index])
    _write_csv(file.path, rows, file.contract.delimiter)
    return edited


def unknown_products(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    from retail_factory import gs1

    # GS1 restricted-circulation numbers (prefix 2): in-store codes that no catalog lists.
    code = gs1.with_check_digit(f"2{int(rng.integers(10**10, 10**11)):011d}")
    edited = _edit_csv_rows(file, "gtin", 1 / 3, lambda _: code)
    return file.path, f"gtin of {len(edited)} row(s) replaced by in-store code {code}, not in the catalog", LANDED


def invalid_check_digits(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    def break_digit(gtin: str) -> str:
        return gtin[:-1] + str((int(gtin[-1]) + 1) % 10)

    edited = _edit_csv_rows(file, "gtin", 1 / 3, break_digit)
    return file.path, f"check digit of the gtin wrong in {len(edited)} row(s)", LANDED


def receipt_before_shipment(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    day = file.path.parent.name
    booked = f"{day}T00:15:00+01:00"  # the same day, hours before the morning's shipments leave
    edited = _edit_csv_rows(file, "received_at", 1.0, lambda _: booked)
    return file.path, f"received_at of {len(edited)} row(s) set to {booked}", LANDED


def epcis_overyield(file: WrittenFile, rng: np.random.Generator) -> tuple[Path, str, str]:
    document = json.loads(file.path.read_text(encoding="utf-8"))
    event = next(e for e in document["epcisBody"]["eventList"] if e.get("type") == "TransformationEvent")
    for element in event["outputQuantityList"]:
        element["quantity"] = element["quantity"] * 3
    file.path.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    return file.path, f"output quantities of transformation {event.get('eventID')} tripled", LANDED


def _has_transformation(file: WrittenFile) -> bool:
    document = json.loads(file.path.read_text(encoding="utf-8"))
    return any(e.get("type") == "TransformationEvent" for e in document["epcisBody"]["eventList"])


def _has_rows(file: WrittenFile) -> bool:
    return file.rows > 0


def _has_decimals(file: WrittenFile) -> bool:
    return file.rows > 0 and bool(_typed_columns(file.contract, ("decimal",)))


FAULTS: dict[str, tuple[tuple[str, ...], Callable[[WrittenFile], bool], Callable]] = {
    "empty_file": (("csv", "parquet", "jsonl", "epcis"), lambda f: True, empty_file),
    "truncated_parquet": (("parquet",), lambda f: True, truncated_parquet),
    "corrupt_parquet": (("parquet",), lambda f: True, corrupt_parquet),
    "wrong_delimiter": (("csv",), lambda f: True, wrong_delimiter),
    "wrong_encoding": (("csv", "jsonl"), _has_rows, wrong_encoding),
    "missing_column": (("csv", "parquet", "jsonl"), lambda f: True, missing_column),
    "extra_column": (("csv", "parquet", "jsonl"), lambda f: True, extra_column),
    "bad_values": (("csv",), _has_rows, bad_values),
    "decimal_point": (("csv",), _has_decimals, decimal_point),
    "wrong_type_column": (
        ("parquet",),
        lambda f: bool(_typed_columns(f.contract, ("integer",))),
        wrong_type_column,
    ),
    "duplicate_file": (("csv", "parquet", "jsonl", "epcis"), lambda f: True, duplicate_file),
    "wrong_date_folder": (
        ("csv", "parquet", "jsonl"),
        lambda f: f.contract.business_date is not None,
        wrong_date_folder,
    ),
    "odd_file_name": (("csv", "parquet", "jsonl", "epcis"), lambda f: True, odd_file_name),
    "epcis_schema_invalid": (("epcis",), lambda f: True, epcis_schema_invalid),
    "epcis_unknown_bizstep": (("epcis",), lambda f: True, epcis_unknown_bizstep),
}


def _entity(domain: str, entity: str) -> Callable[[WrittenFile], bool]:
    return lambda f: (f.contract.domain, f.contract.entity) == (domain, entity) and f.rows > 0


GATE_FAULTS: dict[str, tuple[tuple[str, ...], Callable[[WrittenFile], bool], Callable]] = {
    "stock_drift": (("parquet",), _entity("retail", "stock"), stock_drift),
    "unknown_products": (("csv",), _entity("retail", "pos"), unknown_products),
    "invalid_check_digits": (("csv",), _entity("retail", "pos"), invalid_check_digits),
    "receipt_before_shipment": (("csv",), _entity("supply", "receipts"), receipt_before_shipment),
    "epcis_overyield": (("epcis",), _has_transformation, epcis_overyield),
}

# The gate, suite and expectation that must stop each gate fault (see retail_factory.quality.suites).
CAUGHT_BY: dict[str, tuple[str, str, str]] = {
    "stock_drift": ("curated_gate", "marts.fct_inventory_daily", "expect_stock_equation_to_hold"),
    "unknown_products": ("raw_gate", "raw.retail__pos", "expect_column_values_to_be_in_reference_table"),
    "invalid_check_digits": ("raw_gate", "raw.retail__pos", "expect_column_values_to_be_valid_gtin"),
    "receipt_before_shipment": ("curated_gate", "marts.fct_receipts", "expect_no_receipt_before_shipment"),
    "epcis_overyield": ("curated_gate", "marts.fct_lot_events", "expect_transformation_mass_balance"),
}


def applicable_faults(file: WrittenFile, faults: dict | None = None) -> list[str]:
    registry = FAULTS if faults is None else faults
    return [kind for kind, (formats, when, _) in registry.items() if file.contract.format in formats and when(file)]


def inject(kind: str, file: WrittenFile, out: Path, day: str, rng: np.random.Generator) -> InjectedFault:
    """Apply one fault kind to a written file and say what the landing must do with it."""
    path, detail, expected = {**FAULTS, **GATE_FAULTS}[kind][2](file, rng)
    return InjectedFault(
        day,
        file.contract.domain,
        file.contract.entity,
        kind,
        path.relative_to(out).as_posix(),
        expected,
        detail,
    )


def inject_at_rate(
    files: list[WrittenFile], rate: float, out: Path, day: str, rng: np.random.Generator, faults: dict | None = None
) -> list[InjectedFault]:
    """Each file gets, with probability ``rate``, one fault among those (of ``faults``) that apply to it."""
    injected = []
    for file in files:
        if rate <= 0 or rng.random() >= rate:
            continue
        kinds = applicable_faults(file, faults)
        if not kinds:
            continue
        injected.append(inject(kinds[int(rng.integers(len(kinds)))], file, out, day, rng))
    return injected
