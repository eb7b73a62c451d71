"""What the simulated chain sells: categories, their products and plausible nutrition facts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CategorySpec:
    share: float
    subcategories: tuple[str, ...]
    shelf_life: tuple[int, int]  # days from production
    price: tuple[float, float]  # EUR
    case_sizes: tuple[int, ...]
    content: tuple[str, tuple[int, ...]]  # unit, sizes
    vat: float
    popularity: float  # demand multiplier of the category
    seasonality: tuple[float, int]  # amplitude, peak day of year
    shrink: float  # daily probability of an unrecorded loss on a shelf
    plant: str | None = None  # own plant making the own-brand items
    nutrition: str | None = "grocery"


CATEGORIES: dict[str, CategorySpec] = {
    "fruits_vegetables": CategorySpec(
        0.10,
        (
            "Pommes Golden",
            "Pommes Gala",
            "Poires Conférence",
            "Carottes",
            "Tomates grappe",
            "Salade batavia",
            "Courgettes",
            "Bananes",
            "Oranges à jus",
            "Pommes de terre",
        ),
        (6, 14),
        (0.9, 4.5),
        (3, 4, 6),
        ("g", (500, 1000, 1500, 2000)),
        5.5,
        2.0,
        (0.15, 200),
        0.004,
        plant="fruit",
        nutrition="fruits_vegetables",
    ),
    "dairy": CategorySpec(
        0.10,
        (
            "Yaourt nature",
            "Yaourt aux fruits",
            "Lait demi-écrémé",
            "Lait entier",
            "Crème fraîche épaisse",
            "Fromage blanc",
            "Beurre doux",
            "Dessert lacté chocolat",
        ),
        (12, 28),
        (0.7, 3.6),
        (4, 6, 8),
        ("g", (125, 250, 500, 1000)),
        5.5,
        1.6,
        (0.05, 30),
        0.003,
        plant="dairy",
        nutrition="dairy",
    ),
    "cheese": CategorySpec(
        0.05,
        ("Camembert", "Comté", "Emmental râpé", "Chèvre frais", "Roquefort", "Brie de Meaux"),
        (21, 60),
        (1.8, 7.5),
        (6, 8),
        ("g", (150, 200, 250, 500)),
        5.5,
        0.8,
        (0.1, 15),
        0.010,
        nutrition="cheese",
    ),
    "bakery": CategorySpec(
        0.05,
        (
            "Pain de mie",
            "Pain de campagne tranché",
            "Pain complet tranché",
            "Brioche tranchée",
            "Croissants pur beurre",
        ),
        (5, 10),
        (0.9, 3.9),
        (2, 3, 4),
        ("g", (250, 300, 400, 500)),
        5.5,
        2.0,
        (0.03, 350),
        0.002,
        plant="bakery",
        nutrition="bakery",
    ),
    "meat": CategorySpec(
        0.06,
        (
            "Steak haché 5%",
            "Escalope de poulet",
            "Rôti de porc",
            "Saucisses de Toulouse",
            "Jambon blanc",
            "Bœuf bourguignon",
        ),
        (5, 10),
        (2.5, 12.0),
        (2, 3, 4),
        ("g", (200, 250, 400, 500)),
        5.5,
        1.5,
        (0.05, 180),
        0.012,
        nutrition="meat",
    ),
    "fish": CategorySpec(
        0.03,
        ("Filet de saumon", "Pavé de cabillaud", "Crevettes cuites", "Surimi"),
        (4, 8),
        (3.0, 14.0),
        (2, 3),
        ("g", (150, 200, 300)),
        5.5,
        1.2,
        (0.05, 350),
        0.010,
        nutrition="fish",
    ),
    "grocery": CategorySpec(
        0.20,
        (
            "Pâtes coquillettes",
            "Riz long",
            "Lentilles vertes",
            "Farine de blé",
            "Sucre en poudre",
            "Café moulu",
            "Confiture d'abricot",
            "Soupe de légumes",
            "Thon au naturel",
            "Céréales muesli",
            "Sauce tomate",
            "Huile d'olive vierge",
        ),
        (180, 720),
        (0.8, 6.5),
        (6, 12, 24),
        ("g", (250, 400, 500, 1000)),
        5.5,
        1.0,
        (0.08, 15),
        0.003,
        nutrition="grocery",
    ),
    "snacks_sweets": CategorySpec(
        0.12,
        (
            "Biscuits au beurre",
            "Tablette chocolat noir",
            "Chips nature",
            "Bonbons",
            "Madeleines",
            "Pâte à tartiner",
            "Amandes grillées",
        ),
        (120, 365),
        (0.9, 5.5),
        (10, 12, 20),
        ("g", (100, 150, 200, 400)),
        5.5,
        1.0,
        (0.12, 350),
        0.015,
        nutrition="snacks_sweets",
    ),
    "beverages": CategorySpec(
        0.08,
        ("Jus d'orange", "Soda cola", "Soda cola zéro", "Limonade", "Thé glacé pêche", "Jus de pomme"),
        (180, 540),
        (0.9, 3.9),
        (6, 12),
        ("ml", (330, 1000, 1500)),
        5.5,
        1.1,
        (0.35, 200),
        0.004,
        nutrition="beverages",
    ),
    "water": CategorySpec(
        0.02,
        ("Eau de source", "Eau minérale gazeuse"),
        (365, 730),
        (0.3, 1.2),
        (6, 12),
        ("ml", (500, 1500)),
        5.5,
        1.8,
        (0.4, 200),
        0.002,
        nutrition="water",
    ),
    "frozen": CategorySpec(
        0.06,
        ("Glace vanille", "Frites surgelées", "Pizza margherita", "Épinards hachés", "Poisson pané"),
        (180, 540),
        (1.5, 6.5),
        (6, 8, 12),
        ("g", (400, 500, 750, 1000)),
        5.5,
        0.8,
        (0.3, 190),
        0.004,
        nutrition="frozen",
    ),
    "oils_fats": CategorySpec(
        0.03,
        ("Huile de tournesol", "Huile de colza", "Margarine", "Huile d'olive"),
        (270, 540),
        (1.8, 9.0),
        (6, 12),
        ("ml", (500, 750, 1000)),
        5.5,
        0.6,
        (0.05, 15),
        0.003,
        nutrition="oils_fats",
    ),
    "household": CategorySpec(
        0.10,
        (
            "Lessive liquide",
            "Papier toilette",
            "Liquide vaisselle",
            "Éponges",
            "Sacs poubelle",
            "Essuie-tout",
        ),
        (730, 1460),
        (1.2, 12.0),
        (6, 12, 24),
        ("ml", (500, 750, 1500)),
        20.0,
        0.7,
        (0.02, 100),
        0.008,
        nutrition=None,
    ),
}

# Mean (low, high) per 100 g or ml: fat, saturated share of fat, carbohydrates, sugar share of
# carbohydrates, fibre, proteins, salt, fruit/vegetable/legume share.
NUTRITION_PROFILES: dict[str, tuple[tuple[float, float], ...]] = {
    "fruits_vegetables": (
        (0.1, 0.5),
        (0.1, 0.3),
        (3, 15),
        (0.5, 0.9),
        (1.5, 3),
        (0.5, 2),
        (0, 0.05),
        (100, 100),
    ),
    "dairy": ((0.1, 8), (0.6, 0.7), (4, 15), (0.8, 1.0), (0, 0.5), (3, 8), (0.1, 0.2), (0, 10)),
    "cheese": ((15, 35), (0.6, 0.7), (0, 3), (0, 0.5), (0, 0), (15, 30), (0.8, 2.5), (0, 0)),
    "bakery": ((1, 20), (0.2, 0.6), (45, 60), (0.05, 0.35), (2, 6), (7, 10), (0.8, 1.4), (0, 0)),
    "meat": ((2, 25), (0.35, 0.45), (0, 2), (0, 0.5), (0, 0), (15, 25), (0.1, 2.5), (0, 0)),
    "fish": ((1, 15), (0.15, 0.25), (0, 2), (0, 0.3), (0, 0), (15, 25), (0.2, 2.0), (0, 0)),
    "grocery": ((0.5, 20), (0.1, 0.5), (10, 75), (0.02, 0.4), (1, 10), (3, 15), (0, 2), (0, 60)),
    "snacks_sweets": ((10, 35), (0.3, 0.6), (45, 70), (0.3, 0.85), (1, 5), (4, 8), (0.1, 1.5), (0, 10)),
    "beverages": ((0, 0.1), (0, 0.2), (0, 11), (0.9, 1.0), (0, 0.2), (0, 0.8), (0, 0.05), (0, 100)),
    "water": ((0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0.02), (0, 0)),
    "frozen": ((2, 15), (0.2, 0.6), (10, 35), (0.05, 0.6), (1, 4), (3, 12), (0.2, 1.5), (0, 60)),
    "oils_fats": ((80, 100), (0.08, 0.65), (0, 1), (0, 1), (0, 0), (0, 1), (0, 1.5), (0, 0)),
}


def nutriments(profile: str, rng: np.random.Generator) -> dict[str, float | None]:
    """Consistent nutrition facts (saturates ≤ fat, sugars ≤ carbohydrates, energy from macros)."""
    fat_r, sat_r, carb_r, sugar_r, fibre_r, protein_r, salt_r, fvl_r = NUTRITION_PROFILES[profile]
    fat = rng.uniform(*fat_r)
    saturated = fat * rng.uniform(*sat_r)
    carbohydrates = rng.uniform(*carb_r)
    sugars = carbohydrates * rng.uniform(*sugar_r)
    fibre = rng.uniform(*fibre_r)
    proteins = rng.uniform(*protein_r)
    salt = rng.uniform(*salt_r)
    kj = 37 * fat + 17 * carbohydrates + 17 * proteins + 8 * fibre
    facts: dict[str, float | None] = {
        "energy-kj_100g": round(kj, 0),
        "energy-kcal_100g": round(kj / 4.184, 0),
        "fat_100g": round(fat, 1),
        "saturated-fat_100g": round(min(saturated, fat), 1),
        "carbohydrates_100g": round(carbohydrates, 1),
        "sugars_100g": round(min(sugars, carbohydrates), 1),
        "fiber_100g": round(fibre, 1),
        "proteins_100g": round(proteins, 1),
        "salt_100g": round(salt, 2),
        "sodium_100g": round(salt / 2.5, 3),
        "fruits-vegetables-legumes-estimate-from-ingredients_100g": round(rng.uniform(*fvl_r), 0),
    }
    # As on real labels: fibre is often not declared, the fruit/vegetable share often not estimated.
    if profile not in ("water", "beverages") and rng.random() < 0.15:
        facts["fiber_100g"] = None
    if rng.random() < 0.1:
        facts["fruits-vegetables-legumes-estimate-from-ingredients_100g"] = None
    return facts


NUTRITION_ERROR_SHARE = 0.01  # of the food products: a supplier's typo in the declared facts


def with_supplier_errors(products: pd.DataFrame) -> pd.DataFrame:
    """The catalog with a few products whose declared sugars exceed their carbohydrates, the kind
    of typo suppliers' data carries; the truth names them (``nutrition_error``). Drawn from a
    stream of its own, so the rest of the world is drawn as before."""
    rng = np.random.default_rng(len(products))
    out = products.assign(nutrition_error=None)
    food = out.index[out["nutriments"].notna() & ~out["is_water"]]
    count = max(1, round(len(food) * NUTRITION_ERROR_SHARE)) if len(food) >= 20 else 0
    for index in rng.choice(food, count, replace=False) if count else ():
        facts = dict(out.at[index, "nutriments"])
        facts["sugars_100g"] = round((facts["carbohydrates_100g"] or 0) + float(rng.uniform(5, 20)), 1)
        out.at[index, "nutriments"] = facts
        out.at[index, "nutrition_error"] = "sugars_100g above carbohydrates_100g"
    return out
