"""The Nutri-Score of a product: its score, its grade and every component's points.

The current algorithm: the 2022 update for foods and the 2023 update for beverages, as published
by Santé publique France and the European Scientific Committee of the Nutri-Score, with Open Food
Facts' implementation (``lib/ProductOpener/Nutriscore.pm``) as the public reference:

* **negative points** (N): energy, sugars, saturated fat, salt; for fats, oils, nuts and seeds the
  energy from saturated fat (37 kJ a gram) and the saturated fat share of fat replace energy and
  saturated fat; a beverage with non-nutritive sweeteners takes 4 more;
* **positive points** (P): fibre, fruit/vegetables/legumes, and proteins, which count for a
  beverage or a cheese always, for fats, oils, nuts and seeds when N < 7, for other foods when
  N < 11; red meat gets at most 2 protein points;
* a component's points are how many of its thresholds the value exceeds (``>``; ``>=`` for the
  saturated fat share), the score is N − P, and the grade follows the score on the product's
  scale (:data:`GRADES`); water is always A.

Inputs use Open Food Facts' field names per 100 g or 100 ml (``energy-kj_100g`` …, see
:data:`INPUT_FIELDS`) and the category flags of the catalog. Nothing is guessed: a required value
missing or a value that cannot be right (negative, above 100 g per 100 g, saturated fat above
fat, sugars above carbohydrates) gives grade ``unknown`` with the fields named. Missing fibre or
fruit/vegetable share count no points, as in the reference.

Written by hand: the one Python package on PyPI (``pynutriscore`` 0.0.2, 2022) predates the 2022
and 2023 updates. The threshold tables are also the dbt seed ``nutriscore_thresholds`` (written by
``retail-factory nutriscore --thresholds``), so the warehouse scores products with the same tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# Thresholds per scale and component: the points are the number of thresholds the value exceeds.
THRESHOLDS: dict[str, dict[str, tuple[float, ...]]] = {
    "food": {
        "energy": (335, 670, 1005, 1340, 1675, 2010, 2345, 2680, 3015, 3350),  # kJ
        "sugars": (3.4, 6.8, 10, 14, 17, 20, 24, 27, 31, 34, 37, 41, 44, 48, 51),  # g
        "saturated_fat": (1, 2, 3, 4, 5, 6, 7, 8, 9, 10),  # g
        "salt": (0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8, 2, 2.2, 2.4, 2.6, 2.8, 3, 3.2, 3.4, 3.6, 3.8, 4),  # g
        "proteins": (2.4, 4.8, 7.2, 9.6, 12, 14, 17),  # g
        "fiber": (3.0, 4.1, 5.2, 6.3, 7.4),  # g
        "fruits_vegetables_legumes": (40, 60, 80, 80, 80),  # %: 1, 2, then 5 points
    },
    "fats_oils_nuts_seeds": {
        "energy_from_saturated_fat": (120, 240, 360, 480, 600, 720, 840, 960, 1080, 1200),  # kJ
        "saturated_fat_ratio": (10, 16, 22, 28, 34, 40, 46, 52, 58, 64),  # % of fat, compared with >=
    },
    "beverage": {
        "energy": (30, 90, 150, 210, 240, 270, 300, 330, 360, 390),  # kJ
        "sugars": (0.5, 2, 3.5, 5, 6, 7, 8, 9, 10, 11),  # g
        "proteins": (1.2, 1.5, 1.8, 2.1, 2.4, 2.7, 3.0),  # g
        "fruits_vegetables_legumes": (40, 40, 60, 60, 80, 80),  # %: 2, 4, then 6 points
    },
}
AT_LEAST = {"saturated_fat_ratio"}  # compared with >= (the others with >)
SWEETENER_POINTS = 4  # beverages with non-nutritive sweeteners
KJ_PER_G_SATURATED_FAT = 37
KJ_PER_KCAL = 4.184
SALT_PER_SODIUM = 2.5
RED_MEAT_MAX_PROTEIN_POINTS = 2

# The highest score of each grade, per scale (the last grade takes the rest).
GRADES: dict[str, tuple[tuple[str, float], ...]] = {
    "food": (("a", 0), ("b", 2), ("c", 10), ("d", 18), ("e", math.inf)),
    "fats_oils_nuts_seeds": (("a", -6), ("b", 2), ("c", 10), ("d", 18), ("e", math.inf)),
    "beverage": (("b", 2), ("c", 6), ("d", 9), ("e", math.inf)),  # only water is A
}
# The components scored on each scale (non-nutritive sweeteners: a flag, 4 points, not a table).
COMPONENTS: dict[str, tuple[str, ...]] = {
    "food": ("energy", "sugars", "saturated_fat", "salt", "proteins", "fiber", "fruits_vegetables_legumes"),
    "fats_oils_nuts_seeds": ("energy_from_saturated_fat", "sugars", "saturated_fat_ratio", "salt", "proteins",
                             "fiber", "fruits_vegetables_legumes"),
    "beverage": ("energy", "sugars", "saturated_fat", "salt", "proteins", "fiber", "fruits_vegetables_legumes"),
}  # fmt: skip
NEGATIVE = ("energy", "energy_from_saturated_fat", "sugars", "saturated_fat", "saturated_fat_ratio", "salt",
            "non_nutritive_sweeteners")  # fmt: skip
POSITIVE = ("proteins", "fiber", "fruits_vegetables_legumes")

# Open Food Facts' field names (per 100 g or 100 ml) and the catalog's category flags.
INPUT_FIELDS: dict[str, str] = {
    "energy-kj_100g": "energy in kJ (or energy-kcal_100g, converted at 4.184 kJ/kcal)",
    "energy-kcal_100g": "energy in kcal, when kJ is not given",
    "fat_100g": "fat in g (for the saturated fat share of fats, oils, nuts and seeds)",
    "saturated-fat_100g": "saturated fat in g",
    "carbohydrates_100g": "carbohydrates in g (only checked: sugars cannot exceed them)",
    "sugars_100g": "sugars in g",
    "fiber_100g": "fibre in g (missing: no fibre points)",
    "proteins_100g": "proteins in g",
    "salt_100g": "salt in g (or sodium_100g × 2.5)",
    "sodium_100g": "sodium in g, when salt is not given",
    "fruits-vegetables-legumes-estimate-from-ingredients_100g": (
        "share of fruit, vegetables and legumes in % (missing: no points)"
    ),
    "is_beverage": "a drink (beverage scale; milk and plant-based drinks included)",
    "is_water": "plain water (always A)",
    "is_cheese": "a cheese (proteins always count)",
    "is_red_meat": "beef, veal, pork, lamb, game, horse … (at most 2 protein points)",
    "is_fat_oil_nuts_seeds": "fats, oils, nuts and seeds (energy and saturated fat judged on saturates)",
    "has_non_nutritive_sweeteners": "a beverage with non-nutritive sweeteners (4 more points)",
}
GRAMS = ("fat_100g", "saturated-fat_100g", "carbohydrates_100g", "sugars_100g", "fiber_100g", "proteins_100g",
         "salt_100g", "sodium_100g")  # fmt: skip


@dataclass(frozen=True)
class NutriScore:
    """A product's Nutri-Score, with what it is made of."""

    score: int | None
    grade: str  # a … e, or "unknown"
    scale: str  # food, fats_oils_nuts_seeds, beverage, water
    points: dict[str, int] = field(default_factory=dict)  # every component scored, counted or not
    negative_points: int | None = None
    positive_points: int | None = None
    proteins_counted: bool | None = None
    missing: tuple[str, ...] = ()  # required fields absent (the grade is then unknown)
    problems: tuple[str, ...] = ()  # values that cannot be right, each with its reason

    def as_record(self) -> dict[str, Any]:
        """The output of ``retail-factory nutriscore``: score, grade and the points of each component."""
        return {
            "nutriscore_score": self.score,
            "nutriscore_grade": self.grade,
            "nutriscore_scale": self.scale,
            "negative_points": self.negative_points,
            "positive_points": self.positive_points,
            "proteins_counted": self.proteins_counted,
            # every component, null where the product's scale does not score it
            **{f"{name}_points": self.points.get(name) for name in (*NEGATIVE, *POSITIVE)},
            "missing_fields": list(self.missing),
            "problems": list(self.problems),
        }


def points(value: float, scale: str, component: str) -> int:
    """How many of the component's thresholds on that scale the value exceeds."""
    table = THRESHOLDS[scale].get(component) or THRESHOLDS["food"][component]
    if component in AT_LEAST:
        return sum(value >= t for t in table)
    return sum(value > t for t in table)


def grade_of(score: int, scale: str) -> str:
    if scale == "water":
        return "a"
    return next(grade for grade, highest in GRADES[scale] if score <= highest)


def nutriscore(product: dict[str, Any]) -> NutriScore:
    """The Nutri-Score of one product: Open Food Facts nutrient fields (top level or under
    ``nutriments``) and the category flags (:data:`INPUT_FIELDS`)."""
    values = {**(product.get("nutriments") or {}), **{k: v for k, v in product.items() if k != "nutriments"}}
    flag = {name: bool(values.get(name)) for name in INPUT_FIELDS if name.startswith(("is_", "has_"))}
    scale = _scale(flag)
    nutrients, problems = _numbers(values)
    problems += _inconsistencies(nutrients)
    if problems:
        return NutriScore(None, "unknown", scale, problems=tuple(problems))
    if scale == "water":
        return NutriScore(0, "a", "water")  # water needs no nutrition facts

    energy = nutrients.get("energy-kj_100g")
    if energy is None and nutrients.get("energy-kcal_100g") is not None:
        energy = nutrients["energy-kcal_100g"] * KJ_PER_KCAL
    salt = nutrients.get("salt_100g")
    if salt is None and nutrients.get("sodium_100g") is not None:
        salt = nutrients["sodium_100g"] * SALT_PER_SODIUM
    fat, saturated = nutrients.get("fat_100g"), nutrients.get("saturated-fat_100g")
    if saturated is None and fat == 0:
        saturated = 0.0  # no fat: no saturated fat either (as the reference deduces)
    sugars = nutrients.get("sugars_100g")
    if sugars is None and nutrients.get("carbohydrates_100g") == 0:
        sugars = 0.0
    required = {"energy-kj_100g": energy, "saturated-fat_100g": saturated, "sugars_100g": sugars,
                "salt_100g": salt, "proteins_100g": nutrients.get("proteins_100g")}  # fmt: skip
    if scale == "fats_oils_nuts_seeds":
        required["fat_100g"] = fat
    missing = tuple(name for name, value in required.items() if value is None)
    if missing:
        return NutriScore(None, "unknown", scale, missing=missing)

    scored: dict[str, int] = {}
    if scale == "fats_oils_nuts_seeds":
        scored["energy_from_saturated_fat"] = points(
            saturated * KJ_PER_G_SATURATED_FAT, scale, "energy_from_saturated_fat"
        )
        scored["saturated_fat_ratio"] = points(_saturated_share(saturated, fat), scale, "saturated_fat_ratio")
    else:
        scored["energy"] = points(energy, scale, "energy")
        scored["saturated_fat"] = points(saturated, scale, "saturated_fat")
    scored["sugars"] = points(sugars, scale, "sugars")
    scored["salt"] = points(salt, scale, "salt")
    if scale == "beverage":
        scored["non_nutritive_sweeteners"] = SWEETENER_POINTS if flag["has_non_nutritive_sweeteners"] else 0
    scored["proteins"] = points(nutrients["proteins_100g"], scale, "proteins")
    if flag["is_red_meat"]:
        scored["proteins"] = min(scored["proteins"], RED_MEAT_MAX_PROTEIN_POINTS)
    scored["fiber"] = points(nutrients.get("fiber_100g") or 0.0, scale, "fiber")
    share = nutrients.get("fruits-vegetables-legumes-estimate-from-ingredients_100g")
    scored["fruits_vegetables_legumes"] = points(share or 0.0, scale, "fruits_vegetables_legumes")

    negative = sum(p for name, p in scored.items() if name in NEGATIVE)
    proteins_counted = (
        scale == "beverage" or flag["is_cheese"] or (negative < 7 if scale == "fats_oils_nuts_seeds" else negative < 11)
    )
    positive = sum(p for name, p in scored.items() if name in POSITIVE and (name != "proteins" or proteins_counted))
    score = negative - positive
    return NutriScore(score, grade_of(score, scale), scale, scored, negative, positive, proteins_counted)


def _scale(flag: dict[str, bool]) -> str:
    if flag["is_beverage"]:
        return "water" if flag["is_water"] else "beverage"
    return "fats_oils_nuts_seeds" if flag["is_fat_oil_nuts_seeds"] else "food"


def _numbers(values: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    """The nutrient fields as numbers (absent or null left out), and the values that are not numbers."""
    numbers, problems = {}, []
    for name in INPUT_FIELDS:
        value = values.get(name)
        if name.startswith(("is_", "has_")) or value is None or value == "":
            continue
        try:
            number = float(str(value).replace(",", ".")) if not isinstance(value, bool) else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            problems.append(f"{name} is {value!r}: expected a number")
        else:
            numbers[name] = number
    return numbers, problems


def _inconsistencies(nutrients: dict[str, float]) -> list[str]:
    """Values that cannot describe 100 g of food, each with what was expected."""
    problems = [f"{name} is {value:g}: a content cannot be negative" for name, value in nutrients.items() if value < 0]
    problems += [f"{name} is {nutrients[name]:g} g: more than 100 g in 100 g" for name in GRAMS
                 if nutrients.get(name, 0) > 100]  # fmt: skip
    share = nutrients.get("fruits-vegetables-legumes-estimate-from-ingredients_100g", 0)
    if share > 100:
        problems.append(f"fruits-vegetables-legumes-estimate-from-ingredients_100g is {share:g}: a share above 100 %")
    pairs = (("saturated-fat_100g", "fat_100g", "saturated fat"), ("sugars_100g", "carbohydrates_100g", "sugars"))
    for part, whole, label in pairs:
        if part in nutrients and whole in nutrients and nutrients[part] > nutrients[whole] + 1e-9:
            problems.append(f"{part} is {nutrients[part]:g} g but {whole} is {nutrients[whole]:g} g: "
                            f"{label} cannot exceed {whole.split('_')[0]}")  # fmt: skip
    return problems


def _saturated_share(saturated: float, fat: float | None) -> float:
    """Saturated fat as a % of fat (no fat but some saturated fat: 100 %). Not rounded: like every
    other value it is compared as declared (Open Food Facts rounds it to one decimal first)."""
    if saturated <= 0:
        return 0.0
    return 100 * saturated / fat if fat and fat > 0 else 100.0


def thresholds_csv() -> str:
    """The threshold tables as the dbt seed ``nutriscore_thresholds``: one row per point to earn,
    every component of every scale spelt out (a beverage's salt is the food table's)."""
    lines = ["scale,component,points,threshold,comparison"]
    for scale, components in COMPONENTS.items():
        for component in components:
            bounds = THRESHOLDS[scale].get(component) or THRESHOLDS["food"][component]
            comparison = ">=" if component in AT_LEAST else ">"
            lines += [f"{scale},{component},{n},{bound:g},{comparison}" for n, bound in enumerate(bounds, start=1)]
    return "\n".join(lines) + "\n"
