"""The warehouse's Nutri-Score (dbt: int_products_nutriscored and the nutriscore_thresholds seed)
against the Python scorer of ``retail-factory nutriscore``, product by product.

Thousands of generated products, most with values on or just beside a threshold, with every
combination of category flags, some with values missing and some impossible, go into a DuckDB
warehouse as the model's input; dbt seeds the tables and builds the model; each product must get
the same score, grade, scale and component points from both. The seed must also be what the
Python tables write."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest
from retail_factory.config import get_settings
from retail_factory.nutrition.nutriscore import NEGATIVE, POSITIVE, THRESHOLDS, nutriscore, thresholds_csv
from retail_factory.warehouse.connections import get_warehouse
from retail_factory.warehouse.dbt import run_dbt

from tests.integration.warehouse_helpers import environment

pytestmark = pytest.mark.integration
PRODUCTS = 3000
# the warehouse column of each Open Food Facts field
COLUMNS = {
    "energy-kj_100g": "energy_kj_100g", "energy-kcal_100g": "energy_kcal_100g", "fat_100g": "fat_100g",
    "saturated-fat_100g": "saturated_fat_100g", "carbohydrates_100g": "carbohydrates_100g",
    "sugars_100g": "sugars_100g", "fiber_100g": "fiber_100g", "proteins_100g": "proteins_100g",
    "salt_100g": "salt_100g", "sodium_100g": "sodium_100g",
    "fruits-vegetables-legumes-estimate-from-ingredients_100g": "fruits_vegetables_legumes_pct",
}  # fmt: skip
FLAGS = ("is_beverage", "is_water", "is_cheese", "is_red_meat", "is_fat_oil_nuts_seeds", "has_non_nutritive_sweeteners")
NEAR = [b + d for table in THRESHOLDS.values() for bounds in table.values() for b in bounds for d in (-0.01, 0, 0.01)]


def _value(rng: random.Random, low: float = 0, high: float = 100) -> float | None:
    roll = rng.random()
    if roll < 0.04:
        return None
    if roll < 0.55:
        return round(min(max(rng.choice(NEAR), low), high), 4)
    return round(rng.uniform(low, high), 3)


def _product(rng: random.Random, n: int) -> dict:
    product = {"gtin": f"{n:013d}", **{flag: rng.random() < 0.2 for flag in FLAGS}}
    product["energy-kj_100g"] = _value(rng, 0, 3800)
    product["energy-kcal_100g"] = _value(rng, 0, 900) if product["energy-kj_100g"] is None else None
    product["fat_100g"] = _value(rng)
    product["saturated-fat_100g"] = _value(rng, 0, product["fat_100g"] if product["fat_100g"] is not None else 100)
    product["carbohydrates_100g"] = _value(rng)
    product["sugars_100g"] = _value(rng, 0, product["carbohydrates_100g"] or 0)
    for field in ("fiber_100g", "proteins_100g", "fruits-vegetables-legumes-estimate-from-ingredients_100g"):
        product[field] = _value(rng)
    product["salt_100g"] = _value(rng, 0, 6)
    product["sodium_100g"] = _value(rng, 0, 2.4) if product["salt_100g"] is None else None
    if rng.random() < 0.03:
        product["fat_100g"] = 0.0  # saturated fat deduced as none when missing
    if rng.random() < 0.03:
        product["saturated-fat_100g"] = (product["fat_100g"] or 0) + 1  # impossible: above the fat
    return product


def _problem(product: dict) -> str | None:
    """What staging would write in nutrition_problem (the model only needs to know there is one)."""
    found = nutriscore(product)
    return "; ".join(found.problems) or None


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], pd.DataFrame]:
    rng = random.Random(7)
    products = [_product(rng, n) for n in range(PRODUCTS)]
    frame = pd.DataFrame(
        {
            "gtin": [p["gtin"] for p in products],
            "category": ["household" if n % 97 == 0 else "grocery" for n in range(PRODUCTS)],
            "nutrition_problem": [_problem(p) for p in products],
            **{column: [p[field] for p in products] for field, column in COLUMNS.items()},
            **{flag: [p[flag] for p in products] for flag in FLAGS},
        }
    )
    folder = Path(tmp_path_factory.mktemp("nutriscore-dbt"))
    with environment({"RETAIL_FACTORY_WAREHOUSE": "duckdb", "RETAIL_FACTORY_DUCKDB_PATH": str(folder / "w.duckdb")}):
        with get_warehouse().connect() as con:  # type: ignore[attr-defined]
            con.execute("create schema intermediate")
            con.register("frame", frame)
            con.execute("create table intermediate.int_products_deduplicated as select * from frame")
        run_dbt(["seed", "--select", "nutriscore_thresholds"])
        run_dbt(["run", "--select", "int_products_nutriscored"])
        columns, rows = get_warehouse().query("select * from intermediate.int_products_nutriscored order by gtin")
    return products, pd.DataFrame([list(r) for r in rows], columns=columns).set_index("gtin")


def test_the_seed_is_the_python_tables() -> None:
    seed = get_settings().dbt_project_dir / "seeds" / "nutriscore_thresholds.csv"
    assert seed.read_text(encoding="utf-8") == thresholds_csv(), (
        "regenerate it: retail-factory nutriscore --thresholds > dbt_project/seeds/nutriscore_thresholds.csv"
    )


def test_the_warehouse_scores_every_product_as_the_command_does(scored) -> None:
    products, warehouse = scored
    grades = warehouse["nutriscore_grade"].value_counts().to_dict()
    assert {"a", "b", "c", "d", "e", "unknown", "not-applicable"} <= set(grades), grades  # every outcome met
    differences = []
    for product in products:
        row = warehouse.loc[product["gtin"]]
        if row["nutriscore_scale"] == "not_applicable":
            continue  # a category the command does not know: non-food
        expected = nutriscore(product)
        found = {
            "grade": row["nutriscore_grade"],
            "score": None if pd.isna(row["nutriscore_score"]) else int(row["nutriscore_score"]),
            "scale": row["nutriscore_scale"],
            **{f"{c}_points": None if pd.isna(row[f"{c}_points"]) else int(row[f"{c}_points"])
               for c in (*NEGATIVE, *POSITIVE)},
        }  # fmt: skip
        wanted = {
            "grade": expected.grade,
            "score": expected.score,
            "scale": expected.scale,
            **{f"{c}_points": expected.points.get(c) for c in (*NEGATIVE, *POSITIVE)},
        }
        if expected.grade == "unknown":  # the reason is said apart; points are not kept
            found = {k: found[k] for k in ("grade", "score")}
            wanted = {k: wanted[k] for k in ("grade", "score")}
        if found != wanted:
            differences.append(json.dumps({"product": product, "warehouse": found, "python": wanted}))
    assert not differences, f"{len(differences)} products differ, e.g. {differences[:3]}"
