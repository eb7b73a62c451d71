"""The Nutri-Score (2022 foods, 2023 beverages): every threshold of every component on each side,
every grade boundary, the category rules, worked examples, missing and impossible inputs.

The tables below are transcribed again from the published update reports (points for a value
strictly above each bound; the saturated fat share from each bound on), independently of the
module's own tables, and each bound is tried through a whole product on both of its sides."""

from __future__ import annotations

import pytest
from retail_factory.nutrition.nutriscore import grade_of, nutriscore

SALT = [0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8, 2, 2.2, 2.4, 2.6, 2.8, 3, 3.2, 3.4, 3.6, 3.8, 4]
# (scale, component, input field, the bounds of points 1, 2, …) as the reports print them
PUBLISHED = [
    ("food", "energy", "energy-kj_100g", [335, 670, 1005, 1340, 1675, 2010, 2345, 2680, 3015, 3350]),
    ("food", "sugars", "sugars_100g", [3.4, 6.8, 10, 14, 17, 20, 24, 27, 31, 34, 37, 41, 44, 48, 51]),
    ("food", "saturated_fat", "saturated-fat_100g", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
    ("food", "salt", "salt_100g", SALT),
    ("food", "proteins", "proteins_100g", [2.4, 4.8, 7.2, 9.6, 12, 14, 17]),
    ("food", "fiber", "fiber_100g", [3.0, 4.1, 5.2, 6.3, 7.4]),
    ("beverage", "energy", "energy-kj_100g", [30, 90, 150, 210, 240, 270, 300, 330, 360, 390]),
    ("beverage", "sugars", "sugars_100g", [0.5, 2, 3.5, 5, 6, 7, 8, 9, 10, 11]),
    ("beverage", "proteins", "proteins_100g", [1.2, 1.5, 1.8, 2.1, 2.4, 2.7, 3.0]),
    ("beverage", "saturated_fat", "saturated-fat_100g", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
    ("beverage", "salt", "salt_100g", SALT),
    ("beverage", "fiber", "fiber_100g", [3.0, 4.1, 5.2, 6.3, 7.4]),
    ("fats_oils_nuts_seeds", "sugars", "sugars_100g", [3.4, 6.8, 10, 14, 17, 20, 24, 27, 31, 34, 37, 41, 44, 48, 51]),
    ("fats_oils_nuts_seeds", "proteins", "proteins_100g", [2.4, 4.8, 7.2, 9.6, 12, 14, 17]),
]
# fruit, vegetables and legumes: points above 40, 60 and 80 %
FRUIT_POINTS = {"food": (1, 2, 5), "fats_oils_nuts_seeds": (1, 2, 5), "beverage": (2, 4, 6)}
FLAGS = {"food": {}, "beverage": {"is_beverage": True}, "fats_oils_nuts_seeds": {"is_fat_oil_nuts_seeds": True}}
FAT_FREE = {"energy-kj_100g": 0, "sugars_100g": 0, "saturated-fat_100g": 0, "fat_100g": 0, "salt_100g": 0,
            "proteins_100g": 0, "fiber_100g": 0, "carbohydrates_100g": 100}  # fmt: skip


def _product(scale: str, **values) -> dict:
    return {**FAT_FREE, "fat_100g": 100, **FLAGS[scale], **values}


def _bounds(table: list) -> list:
    return [(scale, component, field, n, bound) for scale, component, field, bounds in table
            for n, bound in enumerate(bounds)]  # fmt: skip


@pytest.mark.parametrize(("scale", "component", "field", "n", "bound"), _bounds(PUBLISHED))
def test_each_threshold_gives_its_point_only_above_it(scale, component, field, n, bound) -> None:
    at = nutriscore(_product(scale, **{field: bound}))
    above = nutriscore(_product(scale, **{field: bound + 0.01}))
    assert at.points[component] == n, f"{component} at {bound}"
    assert above.points[component] == n + 1, f"{component} just above {bound}"


@pytest.mark.parametrize("scale", ["food", "beverage", "fats_oils_nuts_seeds"])
@pytest.mark.parametrize(("share", "step"), [(40, 0), (40.1, 1), (60, 1), (60.1, 2), (80, 2), (80.1, 3), (100, 3)])
def test_fruit_vegetables_and_legumes_points(scale, share, step) -> None:
    found = nutriscore(_product(scale, **{"fruits-vegetables-legumes-estimate-from-ingredients_100g": share}))
    assert found.points["fruits_vegetables_legumes"] == ((0,) + FRUIT_POINTS[scale])[step]


# fats, oils, nuts and seeds: energy from saturated fat (37 kJ/g, above 120, 240 … 1200 kJ) and the
# saturated share of fat (from 10, 16 … 64 %)
@pytest.mark.parametrize("n", range(10))
def test_energy_from_saturates_thresholds(n) -> None:
    kilojoules = 120 * (n + 1)
    at = nutriscore(_product("fats_oils_nuts_seeds", **{"saturated-fat_100g": kilojoules / 37}))
    above = nutriscore(_product("fats_oils_nuts_seeds", **{"saturated-fat_100g": (kilojoules + 0.5) / 37}))
    assert (at.points["energy_from_saturated_fat"], above.points["energy_from_saturated_fat"]) == (n, n + 1)


@pytest.mark.parametrize(("n", "bound"), list(enumerate([10, 16, 22, 28, 34, 40, 46, 52, 58, 64])))
def test_saturated_share_thresholds_count_from_the_bound(n, bound) -> None:
    below = nutriscore(_product("fats_oils_nuts_seeds", **{"saturated-fat_100g": bound - 0.2, "fat_100g": 100}))
    at = nutriscore(_product("fats_oils_nuts_seeds", **{"saturated-fat_100g": bound, "fat_100g": 100}))
    assert (below.points["saturated_fat_ratio"], at.points["saturated_fat_ratio"]) == (n, n + 1)


@pytest.mark.parametrize(
    ("scale", "score", "grade"),
    [("food", -15, "a"), ("food", 0, "a"), ("food", 1, "b"), ("food", 2, "b"), ("food", 3, "c"), ("food", 10, "c"),
     ("food", 11, "d"), ("food", 18, "d"), ("food", 19, "e"), ("food", 40, "e"),
     ("fats_oils_nuts_seeds", -6, "a"), ("fats_oils_nuts_seeds", -5, "b"), ("fats_oils_nuts_seeds", 2, "b"),
     ("fats_oils_nuts_seeds", 3, "c"), ("fats_oils_nuts_seeds", 10, "c"), ("fats_oils_nuts_seeds", 11, "d"),
     ("fats_oils_nuts_seeds", 18, "d"), ("fats_oils_nuts_seeds", 19, "e"),
     ("beverage", -10, "b"), ("beverage", 2, "b"), ("beverage", 3, "c"), ("beverage", 6, "c"), ("beverage", 7, "d"),
     ("beverage", 9, "d"), ("beverage", 10, "e"), ("water", 12, "a")],
)  # fmt: skip
def test_grade_boundaries(scale, score, grade) -> None:
    assert grade_of(score, scale) == grade


def test_proteins_count_for_foods_only_below_11_negative_points() -> None:
    rich = {"proteins_100g": 20, "energy-kj_100g": 1400, "saturated-fat_100g": 7.5}  # 4 + 7 = 11 negative points
    general = nutriscore(_product("food", **rich))
    lighter = nutriscore(_product("food", **{**rich, "saturated-fat_100g": 6.5}))  # 10 negative points
    assert (general.negative_points, general.proteins_counted, general.score) == (11, False, 11)
    assert (lighter.negative_points, lighter.proteins_counted, lighter.score) == (10, True, 10 - 7)
    cheese = nutriscore(_product("food", **rich, is_cheese=True))
    assert cheese.proteins_counted and cheese.score == 11 - 7  # a cheese's proteins always count


def test_fats_oils_nuts_and_seeds_count_proteins_below_7_negative_points() -> None:
    nuts = {"proteins_100g": 25, "fat_100g": 50, "fiber_100g": 8}
    six = nutriscore(_product("fats_oils_nuts_seeds", **nuts, **{"saturated-fat_100g": 5}))  # 185 kJ: 1, 10 %: 1
    assert six.points["energy_from_saturated_fat"] + six.points["saturated_fat_ratio"] == 2 and six.proteins_counted
    seven = nutriscore(_product("fats_oils_nuts_seeds", **nuts, **{"saturated-fat_100g": 5, "sugars_100g": 17.5}))
    assert seven.negative_points == 2 + 5 and not seven.proteins_counted  # sugars 17.5: 5 points
    assert seven.score == 7 - 5  # fibre only


def test_red_meat_gets_at_most_two_protein_points() -> None:
    steak = {"proteins_100g": 26, "saturated-fat_100g": 3.5, "fat_100g": 8}
    assert nutriscore(_product("food", **steak)).points["proteins"] == 7
    assert nutriscore(_product("food", **steak, is_red_meat=True)).points["proteins"] == 2


def test_non_nutritive_sweeteners_weigh_on_beverages_only() -> None:
    soda = _product("beverage", **{"energy-kj_100g": 5, "sugars_100g": 0})
    assert nutriscore({**soda, "has_non_nutritive_sweeteners": True}).score == nutriscore(soda).score + 4
    food = _product("food", has_non_nutritive_sweeteners=True)
    assert "non_nutritive_sweeteners" not in nutriscore(food).points


def test_water_is_a_and_no_other_beverage_is() -> None:
    assert nutriscore({"is_beverage": True, "is_water": True}).grade == "a"  # no nutrition facts needed
    plain = nutriscore(_product("beverage"))
    assert plain.score == 0 and plain.grade == "b"


# Open Food Facts' expected results (openfoodfacts-server, tests/unit/expected_test_results/nutriscore/),
# per 100 g or 100 ml: (file, product, score, grade, points)
WORKED = [
    ("cookies.json", {"energy-kj_100g": 3460, "sugars_100g": 0, "saturated-fat_100g": 15, "fat_100g": 90,
                      "salt_100g": 0, "fiber_100g": 0, "proteins_100g": 0}, 20, "e",
     {"energy": 10, "saturated_fat": 10, "sugars": 0, "salt": 0}),
    ("breakfast-cereals.json", {"energy-kj_100g": 2450, "sugars_100g": 31, "saturated-fat_100g": 1.03,
                                "fat_100g": 100, "sodium_100g": 0.221, "fiber_100g": 6.9, "proteins_100g": 10.3},
     14, "d", {"energy": 7, "sugars": 8, "saturated_fat": 1, "salt": 2, "fiber": 4}),
    ("mushrooms.json", {"energy-kj_100g": 667, "sugars_100g": 1.1, "saturated-fat_100g": 1.2, "fat_100g": 8.4,
                        "salt_100g": 1.0, "fiber_100g": 10.9, "proteins_100g": 2.4,
                        "fruits-vegetables-legumes-estimate-from-ingredients_100g": 69}, -1, "a",
     {"salt": 4, "proteins": 0, "fiber": 5, "fruits_vegetables_legumes": 2}),
    ("en-red-meat-category-no-ingredients.json", {"energy-kj_100g": 82, "sugars_100g": 0, "saturated-fat_100g": 10,
                                                  "fat_100g": 20, "sodium_100g": 0, "proteins_100g": 50,
                                                  "is_red_meat": True}, 7, "c", {"saturated_fat": 9, "proteins": 2}),
    ("en-olive-oil.json", {"energy-kj_100g": 3367, "sugars_100g": 0, "saturated-fat_100g": 17, "fat_100g": 91,
                           "salt_100g": 0, "proteins_100g": 0, "is_fat_oil_nuts_seeds": True,
                           "fruits-vegetables-legumes-estimate-from-ingredients_100g": 100}, 2, "b",
     {"energy_from_saturated_fat": 5, "saturated_fat_ratio": 2, "fruits_vegetables_legumes": 5}),
    ("fr-rapeseed-oil.json", {"energy-kj_100g": 3400, "sugars_100g": 0, "saturated-fat_100g": 7.3, "fat_100g": 92,
                              "salt_100g": 0, "proteins_100g": 0, "is_fat_oil_nuts_seeds": True}, 2, "b",
     {"energy_from_saturated_fat": 2, "saturated_fat_ratio": 0}),
    ("en-sweeteners.json", {"energy-kj_100g": 82, "sugars_100g": 4.5, "saturated-fat_100g": 0, "fat_100g": 0,
                            "sodium_100g": 0.01, "proteins_100g": 0, "is_beverage": True,
                            "has_non_nutritive_sweeteners": True,
                            "fruits-vegetables-legumes-estimate-from-ingredients_100g": 70.5}, 4, "c",
     {"energy": 1, "sugars": 3, "non_nutritive_sweeteners": 4, "fruits_vegetables_legumes": 4}),
    ("en-milk.json", {"energy-kj_100g": 195, "sugars_100g": 4.8, "saturated-fat_100g": 1, "fat_100g": 1.6,
                      "salt_100g": 0.1, "proteins_100g": 3.3, "is_beverage": True}, -1, "b",
     {"energy": 3, "sugars": 3, "saturated_fat": 0, "proteins": 7}),
    ("fr-plant-beverages-soy-milk.json", {"energy-kj_100g": 178, "sugars_100g": 0.5, "saturated-fat_100g": 0.6,
                                          "fat_100g": 2.6, "salt_100g": 0.03, "fiber_100g": 0.5,
                                          "proteins_100g": 3.9, "is_beverage": True,
                                          "fruits-vegetables-legumes-estimate-from-ingredients_100g": 8}, -4, "b",
     {"energy": 3, "sugars": 0, "proteins": 7}),
    ("flavored-spring-with-nutrition.json", {"energy-kj_100g": 378, "sugars_100g": 3, "saturated-fat_100g": 0,
                                             "fat_100g": 0, "salt_100g": 0, "fiber_100g": 0, "proteins_100g": 0,
                                             "is_beverage": True}, 11, "e", {"energy": 9, "sugars": 2}),
]  # fmt: skip


@pytest.mark.parametrize(("source", "product", "score", "grade", "some_points"), WORKED, ids=[w[0] for w in WORKED])
def test_worked_examples_match_the_reference(source, product, score, grade, some_points) -> None:
    found = nutriscore(product)
    assert (found.score, found.grade) == (score, grade), source
    assert {k: found.points[k] for k in some_points} == some_points, source


def test_nutrients_may_come_under_nutriments_and_in_other_units() -> None:
    as_catalog = {"is_beverage": False, "nutriments": {"energy-kcal_100g": 100, "sodium_100g": 0.4,
                  "saturated-fat_100g": 1.5, "sugars_100g": 5, "proteins_100g": 3}}  # fmt: skip
    found = nutriscore(as_catalog)
    assert found.points["energy"] == 1  # 418.4 kJ
    assert found.points["salt"] == 4  # 1.0 g of salt: not above 1
    assert not found.missing and found.points["fiber"] == 0  # no fibre given: no fibre points


def test_missing_values_give_unknown_with_the_fields_named() -> None:
    found = nutriscore({"energy-kj_100g": 1000, "sugars_100g": 3, "salt_100g": 0.1})
    assert (found.score, found.grade) == (None, "unknown")
    assert found.missing == ("saturated-fat_100g", "proteins_100g")
    no_fat = nutriscore({"energy-kj_100g": 1000, "sugars_100g": 3, "salt_100g": 0.1, "fat_100g": 0,
                         "proteins_100g": 1})  # fmt: skip
    assert no_fat.grade != "unknown"  # no fat at all: no saturated fat either
    oil = nutriscore({**FAT_FREE, "fat_100g": None, "is_fat_oil_nuts_seeds": True})
    assert oil.missing == ("fat_100g",)  # the saturated share needs the fat


@pytest.mark.parametrize(
    ("values", "reason"),
    [({"sugars_100g": -1}, "sugars_100g is -1: a content cannot be negative"),
     ({"proteins_100g": 120}, "proteins_100g is 120 g: more than 100 g in 100 g"),
     ({"saturated-fat_100g": 12, "fat_100g": 10}, "saturated-fat_100g is 12 g but fat_100g is 10 g: saturated fat "
                                                  "cannot exceed fat"),
     ({"sugars_100g": 40, "carbohydrates_100g": 30}, "sugars_100g is 40 g but carbohydrates_100g is 30 g: sugars "
                                                     "cannot exceed carbohydrates"),
     ({"salt_100g": "a pinch"}, "salt_100g is 'a pinch': expected a number")],
)  # fmt: skip
def test_impossible_values_give_unknown_with_the_reason(values, reason) -> None:
    found = nutriscore({**FAT_FREE, "fat_100g": 50, **values})
    assert (found.score, found.grade) == (None, "unknown")
    assert reason in found.problems
