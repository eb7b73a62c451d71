"""JSON Lines contracts (master data): each line checked with jsonschema against the contract."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from retail_factory.sources.contracts import contract_for, validate_file

DAY = dt.date(2025, 3, 3)
PRODUCTS = contract_for("retail", "products")


def product(gtin: str = "3760001000017", **overrides) -> dict:
    record = {
        "gtin": gtin,
        "name": "Yaourt nature Terres d'Ici 500 g",
        "brand": "Terres d'Ici",
        "is_own_brand": True,
        "category": "dairy",
        "subcategory": "Yaourt nature",
        "producer_gln": "3760001000024",
        "origin_country": "FR",
        "net_content": 500.0,
        "net_content_unit": "g",
        "case_size": 6,
        "shelf_life_days": 21,
        "is_fresh": True,
        "price_eur": 1.89,
        "vat_rate": 5.5,
        "nutriments": {
            "energy-kj_100g": 250.0,
            "fat_100g": 3.2,
            "saturated-fat_100g": 2.1,
            "sugars_100g": 4.5,
        },
        "is_beverage": False,
        "is_water": False,
        "is_cheese": False,
        "is_red_meat": False,
        "is_fat_oil_nuts_seeds": False,
        "has_non_nutritive_sweeteners": False,
        "snapshot_date": DAY.isoformat(),
    }
    record.update(overrides)
    return record


def write(tmp_path: Path, records: list, name: str = "products_2025-03-03.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records),
        encoding="utf-8",
    )
    return path


def test_a_good_catalog_lands(tmp_path: Path) -> None:
    records = [product(f"37600010{i:05d}") for i in range(120)] + [product("3760001099999", nutriments=None)]
    report = validate_file(write(tmp_path, records), PRODUCTS, DAY)
    assert report.accepted and report.rows == 121 and not report.row_findings


def test_line_level_problems_name_line_and_field(tmp_path: Path) -> None:
    records = [product(f"37600010{i:05d}") for i in range(300)]
    records[4] = '{"gtin": "3760001000041", "name": '  # cut JSON
    records[9] = product("37600010" + "00009", price_eur="1,89")
    records[19] = product("37600010" + "00019", nutriments={"sugars_100g": "beaucoup"})
    broken = product("37600010" + "00029")
    del broken["category"]
    records[29] = broken
    report = validate_file(write(tmp_path, records), PRODUCTS, DAY)
    found = {(f.code, f.row, f.field) for f in report.row_findings}
    assert found == {
        ("bad_json", 5, None),
        ("bad_value", 10, "price_eur"),
        ("bad_value", 20, "nutriments.sugars_100g"),
        ("missing_value", 30, "category"),
    }
    assert not report.accepted  # 4 of 300 lines: above 1%


def test_unknown_fields_are_flagged_not_refused(tmp_path: Path) -> None:
    report = validate_file(write(tmp_path, [product(note="x"), product("3760001000024")]), PRODUCTS, DAY)
    assert report.accepted and report.warnings[0].field == "note"


def test_enum_and_lengths(tmp_path: Path) -> None:
    records = [product(f"37600010{i:05d}") for i in range(200)]
    records[0] = product("3760001000000", category="bricolage")
    records[1] = product("3760001000001", origin_country="France")
    report = validate_file(write(tmp_path, records), PRODUCTS, DAY)
    assert {(f.row, f.field) for f in report.row_findings} == {(1, "category"), (2, "origin_country")}


def test_duplicate_gtin_and_wrong_snapshot_date(tmp_path: Path) -> None:
    records = [product(f"37600010{i:05d}") for i in range(200)] + [product("3760001000005")]
    report = validate_file(write(tmp_path, records), PRODUCTS, DAY)
    assert [(f.code, f.row) for f in report.row_findings] == [("duplicate_key", 201)]
    stale = [product(f"37600010{i:05d}", snapshot_date="2025-03-01") for i in range(5)]
    report = validate_file(write(tmp_path, stale, name="products.jsonl"), PRODUCTS, DAY)
    assert [f.code for f in report.file_errors] == ["wrong_date_folder"]


def test_latin1_catalog_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "products_2025-03-03.jsonl"
    record = product(name="Crème fraîche épaisse Terres d'Ici 200 g")
    path.write_bytes((json.dumps(record, ensure_ascii=False) + "\n").encode("latin-1"))
    assert [f.code for f in validate_file(path, PRODUCTS, DAY).file_errors] == ["bad_encoding"]
