"""CSV contracts: every bad input is named with its row, field, what was expected and what was found."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from retail_factory.sources.contracts import contract_for, validate_file

DAY = dt.date(2025, 3, 3)
POS = contract_for("retail", "pos")
HEADER = "store_gln;ticket_id;line_number;sold_at;gtin;label;quantity;unit_price;discount_amount;line_amount;promo_id"


def pos_line(
    n: int,
    *,
    sold_at: str = "2025-03-03T10:15:42+01:00",
    quantity: str = "2",
    price: str = "2,49",
    gtin: str = "3760001000017",
    label: str = "Yaourt nature Terres d'Ici 500 g",
) -> str:
    return f"3760001000024;T1-{n};1;{sold_at};{gtin};{label};{quantity};{price};0,00;4,98;"


def write(tmp_path: Path, text: str, name: str = "pos_3760001000024_2025-03-03.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def pos_file(tmp_path: Path, lines: list[str], header: str = HEADER, **kwargs) -> Path:
    return write(tmp_path, "\n".join([header, *lines]) + "\n", **kwargs)


def test_a_good_file_lands_with_its_row_count(tmp_path: Path) -> None:
    report = validate_file(pos_file(tmp_path, [pos_line(i) for i in range(200)]), POS, DAY)
    assert report.accepted, report.rejection_reasons()
    assert report.rows == 200
    assert not report.row_findings and not report.warnings


def test_a_header_only_file_is_a_valid_empty_delivery(tmp_path: Path) -> None:
    report = validate_file(pos_file(tmp_path, []), POS, DAY)
    assert report.accepted and report.rows == 0


def test_empty_file(tmp_path: Path) -> None:
    report = validate_file(write(tmp_path, ""), POS, DAY)
    assert [f.code for f in report.file_errors] == ["empty_file"]
    assert report.file_errors[0].found == "0 bytes"


def test_wrong_delimiter_is_named(tmp_path: Path) -> None:
    text = HEADER.replace(";", ",") + "\n" + pos_line(1).replace(";", ",") + "\n"
    report = validate_file(write(tmp_path, text), POS, DAY)
    assert [f.code for f in report.file_errors] == ["wrong_delimiter"]
    assert report.file_errors[0].found == "','" and report.file_errors[0].expected == "';'"


def test_windows_1252_encoding_is_refused_with_its_line(tmp_path: Path) -> None:
    lines = [pos_line(i, label="Yaourt nature") for i in range(5)] + [pos_line(9, label="Crème fraîche")]
    report = validate_file(pos_file(tmp_path, lines, encoding="cp1252"), POS, DAY)
    assert [f.code for f in report.file_errors] == ["bad_encoding"]
    error = report.file_errors[0]
    assert error.row == 7  # the header is line 1
    assert "Windows-1252" in error.message and error.expected == "UTF-8"


def test_utf16_export_is_refused(tmp_path: Path) -> None:
    report = validate_file(pos_file(tmp_path, [pos_line(1)], encoding="utf-16"), POS, DAY)
    assert report.file_errors[0].code == "bad_encoding"
    assert "UTF-16" in report.file_errors[0].message


def test_missing_required_column(tmp_path: Path) -> None:
    header = HEADER.replace(";quantity", "")
    lines = [";".join(p for i, p in enumerate(pos_line(1).split(";")) if i != 6)]
    report = validate_file(pos_file(tmp_path, lines, header=header), POS, DAY)
    assert [(f.code, f.field) for f in report.file_errors] == [("missing_column", "quantity")]


def test_an_unknown_extra_column_is_accepted_and_flagged(tmp_path: Path) -> None:
    lines = [pos_line(i) + ";RAS" for i in range(3)]
    report = validate_file(pos_file(tmp_path, lines, header=HEADER + ";commentaire"), POS, DAY)
    assert report.accepted
    assert [(w.code, w.field) for w in report.warnings] == [("extra_column", "commentaire")]


def test_values_of_the_wrong_type_are_found_row_by_row(tmp_path: Path) -> None:
    lines = [pos_line(i) for i in range(300)]
    lines[41] = pos_line(41, quantity="N/A")
    lines[99] = pos_line(99, price="2.49")
    report = validate_file(pos_file(tmp_path, lines), POS, DAY)
    found = {(f.row, f.field, f.found) for f in report.row_findings}
    assert found == {(42, "quantity", "N/A"), (100, "unit_price", "2.49")}
    assert report.bad_rows == 2
    assert report.accepted  # 2 of 300 rows is under the 1% tolerance: the file lands, the rows are listed


def test_too_many_bad_rows_reject_the_whole_file(tmp_path: Path) -> None:
    lines = [pos_line(i, price="2.49") for i in range(50)]  # exported with '.' decimals
    report = validate_file(pos_file(tmp_path, lines), POS, DAY)
    reasons = report.rejection_reasons()
    assert [r.code for r in reasons] == ["too_many_bad_rows"]
    assert "50 of 50 rows" in reasons[0].message
    assert report.row_findings[0].expected.startswith("a decimal number written with ','")


def test_impossible_dates_and_times_are_bad_values(tmp_path: Path) -> None:
    lines = [pos_line(i) for i in range(200)]
    lines[3] = pos_line(3, sold_at="2025-03-03T25:10:00+01:00")
    lines[4] = pos_line(4, sold_at="2025-03-03 10:10:00")
    report = validate_file(pos_file(tmp_path, lines), POS, DAY)
    assert {(f.row, f.field) for f in report.row_findings} == {(4, "sold_at"), (5, "sold_at")}


def test_required_value_left_empty(tmp_path: Path) -> None:
    lines = [pos_line(i) for i in range(200)]
    lines[10] = pos_line(10, gtin="")
    report = validate_file(pos_file(tmp_path, lines), POS, DAY)
    assert [(f.code, f.row, f.field) for f in report.row_findings] == [("missing_value", 11, "gtin")]


def test_a_row_with_a_missing_field_does_not_shift_later_row_numbers(tmp_path: Path) -> None:
    lines = [pos_line(i) for i in range(300)]
    lines[5] = "3760001000024;T1-5;1"  # cut short
    lines[200] = pos_line(200, quantity="abc")
    report = validate_file(pos_file(tmp_path, lines), POS, DAY)
    assert {(f.code, f.row) for f in report.row_findings} == {("malformed_row", 6), ("bad_value", 201)}
    assert report.rows == 300


def test_a_file_in_the_wrong_date_folder(tmp_path: Path) -> None:
    lines = [pos_line(i, sold_at="2025-03-02T10:00:00+01:00") for i in range(5)]
    report = validate_file(pos_file(tmp_path, lines, name="pos_3760001000024.csv"), POS, DAY)
    assert [f.code for f in report.file_errors] == ["wrong_date_folder"]
    assert report.file_errors[0].found == "2025-03-02"


def test_a_date_in_the_file_name_must_match_the_folder(tmp_path: Path) -> None:
    report = validate_file(pos_file(tmp_path, [pos_line(1)], name="pos_3760001000024_2025-03-02.csv"), POS, DAY)
    assert [f.code for f in report.file_errors] == ["wrong_date_folder"]


def test_a_few_rows_of_another_day_are_row_findings(tmp_path: Path) -> None:
    lines = [pos_line(i) for i in range(200)]
    lines[7] = pos_line(7, sold_at="2025-03-04T00:10:00+01:00")
    report = validate_file(pos_file(tmp_path, lines), POS, DAY)
    assert [(f.code, f.row, f.expected) for f in report.row_findings] == [("wrong_date", 8, "2025-03-03")]


def test_duplicate_keys_in_a_file(tmp_path: Path) -> None:
    lines = [pos_line(i) for i in range(200)] + [pos_line(17)]
    report = validate_file(pos_file(tmp_path, lines), POS, DAY)
    assert [(f.code, f.row) for f in report.row_findings] == [("duplicate_key", 201)]
    assert "repeats row 18" in report.row_findings[0].message


@pytest.mark.parametrize("rows", [10_000, 60_000])
def test_large_files_are_read_in_blocks(tmp_path: Path, rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from retail_factory.sources.contracts import csv_format

    monkeypatch.setattr(csv_format, "BLOCK_SIZE", 1 << 16)  # many blocks: row numbers must carry over
    lines = [pos_line(i) for i in range(rows)]
    lines[-3] = pos_line(rows - 3, quantity="x")
    report = validate_file(pos_file(tmp_path, lines), POS, DAY)
    assert report.rows == rows
    assert [(f.row, f.field) for f in report.row_findings] == [(rows - 2, "quantity")]
