"""Parquet contracts: unreadable, truncated or mistyped files are refused; nulls and keys are checked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from retail_factory.sources.contracts import contract_for, validate_file

DAY = dt.date(2025, 3, 3)
STOCK = contract_for("retail", "stock")


def stock_table(rows: int = 500, **overrides) -> pa.Table:
    columns = {
        "snapshot_date": pa.array([DAY] * rows, pa.date32()),
        "store_gln": pa.array(["3760001000024"] * rows),
        "gtin": pa.array([f"376000100{i:04d}" for i in range(rows)]),
        "on_hand_qty": pa.array(range(rows), pa.int32()),
        "waste_qty": pa.array([0] * rows, pa.int32()),
        "adjustment_qty": pa.array([0] * rows, pa.int32()),
        "is_counted": pa.array([False] * rows),
    }
    columns.update(overrides)
    return pa.table(columns)


def write(tmp_path: Path, table: pa.Table, name: str = "stock_3760001000024_2025-03-03.parquet") -> Path:
    path = tmp_path / name
    pq.write_table(table, path, row_group_size=100)
    return path


def test_a_good_snapshot_lands(tmp_path: Path) -> None:
    report = validate_file(write(tmp_path, stock_table()), STOCK, DAY)
    assert report.accepted and report.rows == 500 and not report.row_findings


def test_truncated_file(tmp_path: Path) -> None:
    path = write(tmp_path, stock_table())
    path.write_bytes(path.read_bytes()[:-300])
    report = validate_file(path, STOCK, DAY)
    assert [f.code for f in report.file_errors] == ["unreadable_parquet"]
    assert "truncated or corrupt" in report.file_errors[0].message


def test_corrupt_data_page_is_found_by_its_checksum(tmp_path: Path) -> None:
    path = tmp_path / "stock_3760001000024_2025-03-03.parquet"
    pq.write_table(stock_table(5000), path, row_group_size=1000, compression="snappy", write_page_checksum=True)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 400] = bytes(400)
    path.write_bytes(bytes(data))
    report = validate_file(path, STOCK, DAY)
    assert [f.code for f in report.file_errors] == ["unreadable_parquet"]


def test_column_stored_with_the_wrong_type(tmp_path: Path) -> None:
    table = stock_table(on_hand_qty=pa.array([str(i) for i in range(500)]))
    report = validate_file(write(tmp_path, table), STOCK, DAY)
    assert [(f.code, f.field, f.found) for f in report.file_errors] == [("wrong_type", "on_hand_qty", "string")]


def test_missing_column_and_extra_column(tmp_path: Path) -> None:
    report = validate_file(write(tmp_path, stock_table().drop_columns(["gtin"])), STOCK, DAY)
    assert [(f.code, f.field) for f in report.file_errors] == [("missing_column", "gtin")]
    flagged = validate_file(write(tmp_path, stock_table().append_column("note", pa.array(["x"] * 500))), STOCK, DAY)
    assert flagged.accepted and [w.field for w in flagged.warnings] == ["note"]


def test_nulls_bad_keys_and_duplicates_are_row_findings(tmp_path: Path) -> None:
    gtins = [f"376000100{i:04d}" for i in range(500)]
    gtins[250] = "37600010"  # too short for a GTIN-13 but a GTIN-8 shape: valid
    gtins[251] = "ABC"
    gtins[499] = gtins[0]
    on_hand = pa.array([None if i == 120 else i for i in range(500)], pa.int32())
    report = validate_file(write(tmp_path, stock_table(gtin=pa.array(gtins), on_hand_qty=on_hand)), STOCK, DAY)
    assert {(f.code, f.row, f.field) for f in report.row_findings} == {
        ("missing_value", 121, "on_hand_qty"),
        ("bad_value", 252, "gtin"),
        ("duplicate_key", 500, "store_gln, gtin"),
    }
    assert report.accepted  # 3 of 500 rows


def test_snapshot_of_another_day_is_in_the_wrong_folder(tmp_path: Path) -> None:
    table = stock_table(snapshot_date=pa.array([DAY - dt.timedelta(days=1)] * 500, pa.date32()))
    report = validate_file(write(tmp_path, table, name="stock_3760001000024.parquet"), STOCK, DAY)
    assert [f.code for f in report.file_errors] == ["wrong_date_folder"]
