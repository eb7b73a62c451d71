"""Warehouse fingerprints (a real DuckDB file): equal for the same rows in any order and loaded at
any time, different for any other content; `retail-factory fingerprint --compare` says which table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from retail_factory import cli
from retail_factory.warehouse.connections import DuckDBWarehouse
from retail_factory.warehouse.fingerprint import differences, fingerprints

ROWS = [("A", 1.0, "2025-03-03 01:00:00"), ("B", 2.5, "2025-03-03 02:00:00"), ("C", None, "2025-03-03 03:00:00")]


def make(path: Path, rows: list[tuple], loaded_at: str = "2025-03-04 00:00:00") -> DuckDBWarehouse:
    warehouse = DuckDBWarehouse(path)
    values = ", ".join(f"('{key}', {'null' if q is None else q}, timestamp '{at}', timestamp '{loaded_at}')"
                       for key, q, at in rows)  # fmt: skip
    warehouse.run_statements([
        "create schema raw", "create schema marts", "create schema scratch",
        "create table raw.pos (store varchar, qty double, sold_at timestamp, _loaded_at timestamp)",
        f"insert into raw.pos values {values}",
        "create table marts.sales as select store, sum(qty) as qty from raw.pos group by store",
        "create view marts.sales_view as select * from marts.sales",
        "create table scratch.notes (note varchar)",
    ])  # fmt: skip
    return warehouse


def test_same_rows_in_another_order_loaded_later_have_the_same_fingerprints(tmp_path: Path) -> None:
    first = fingerprints(make(tmp_path / "a.duckdb", ROWS))
    again = fingerprints(make(tmp_path / "b.duckdb", list(reversed(ROWS)), loaded_at="2026-12-03 09:00:00"))
    assert first == again
    assert set(first) == {"raw.pos", "marts.sales"}  # tables of the factory's schemas; no views
    assert first["raw.pos"].rows == 3


@pytest.mark.parametrize(
    "changed",
    [
        [ROWS[0], ROWS[1]],  # a row gone
        [ROWS[0], ROWS[1], ("C", 0.0, "2025-03-03 03:00:00")],  # a null became 0
        [ROWS[0], ("B", 2.51, "2025-03-03 02:00:00"), ROWS[2]],  # a number moved by 0.01
        [*ROWS, ROWS[0]],  # a row twice
    ],
)
def test_any_other_content_changes_the_fingerprint(tmp_path: Path, changed: list[tuple]) -> None:
    before = fingerprints(make(tmp_path / "a.duckdb", ROWS))
    after = fingerprints(make(tmp_path / "b.duckdb", changed))
    assert "raw.pos" in differences(before, after)


def test_the_command_saves_then_names_the_tables_that_differ(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("RETAIL_FACTORY_WAREHOUSE", "duckdb")
    monkeypatch.setenv("RETAIL_FACTORY_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    warehouse = make(tmp_path / "w.duckdb", ROWS)
    assert cli.main(["fingerprint", "--json"]) == 0
    saved = tmp_path / "before.json"
    saved.write_text(capsys.readouterr().out)
    assert json.loads(saved.read_text())["marts.sales"]["rows"] == 3

    assert cli.main(["fingerprint", "--compare", str(saved)]) == 0
    assert "All 2 tables are as in" in capsys.readouterr().out

    warehouse.run_statements(
        ["update raw.pos set qty = 3 where store = 'B'", "delete from marts.sales where store = 'C'"]
    )
    assert cli.main(["fingerprint", "--compare", str(saved)]) == 1
    out = capsys.readouterr().out
    assert "raw.pos: same row count, other content" in out and "marts.sales: 3 → 2 rows" in out
    assert "2 of 2 tables differ" in out


def test_a_missing_or_foreign_saved_file_and_a_backward_replay_are_refused_with_the_reason(
    tmp_path: Path, capsys
) -> None:
    assert cli.main(["fingerprint", "--compare", str(tmp_path / "nowhere.json")]) == 2
    assert "is not a saved `retail-factory fingerprint --json` output" in capsys.readouterr().err
    (tmp_path / "other.json").write_text('{"raw.pos": [1, 2]}')
    assert cli.main(["fingerprint", "--compare", str(tmp_path / "other.json")]) == 2
    assert "other.json is not a saved" in capsys.readouterr().err
    assert cli.main(["replay", "--from", "2025-03-04", "--to", "2025-03-03"]) == 2  # before any stack is asked
    assert "--to 2025-03-03 is before --from 2025-03-04" in capsys.readouterr().err
