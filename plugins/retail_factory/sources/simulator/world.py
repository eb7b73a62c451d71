"""The simulated chain's master data: stores, warehouses, producers, farms, products, assortment."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retail_factory import gs1
from retail_factory.sources.simulator.calendar import WEEKDAYS
from retail_factory.sources.simulator.catalog import CATEGORIES, nutriments, with_supplier_errors

PREFIX_LENGTH = 7  # every simulated GS1 company prefix has 7 digits
OWN_BRAND = "Terres d'Ici"

# Region → (weight, [(city, postal code, latitude, longitude)])
REGIONS: dict[str, tuple[float, list[tuple[str, str, float, float]]]] = {
    "Île-de-France": (
        0.19,
        [
            ("Paris", "75011", 48.857, 2.380),
            ("Versailles", "78000", 48.805, 2.120),
            ("Créteil", "94000", 48.790, 2.455),
            ("Saint-Denis", "93200", 48.936, 2.357),
        ],
    ),
    "Auvergne-Rhône-Alpes": (
        0.12,
        [
            ("Lyon", "69003", 45.760, 4.850),
            ("Grenoble", "38000", 45.188, 5.724),
            ("Clermont-Ferrand", "63000", 45.777, 3.087),
        ],
    ),
    "Hauts-de-France": (0.09, [("Lille", "59000", 50.629, 3.057), ("Amiens", "80000", 49.894, 2.296)]),
    "Nouvelle-Aquitaine": (
        0.09,
        [("Bordeaux", "33000", 44.837, -0.579), ("Limoges", "87000", 45.833, 1.261)],
    ),
    "Occitanie": (0.09, [("Toulouse", "31000", 43.604, 1.444), ("Montpellier", "34000", 43.611, 3.877)]),
    "Grand Est": (0.08, [("Strasbourg", "67000", 48.573, 7.752), ("Reims", "51100", 49.258, 4.032)]),
    "Provence-Alpes-Côte d'Azur": (
        0.08,
        [("Marseille", "13001", 43.296, 5.370), ("Nice", "06000", 43.710, 7.262)],
    ),
    "Pays de la Loire": (0.06, [("Nantes", "44000", 47.218, -1.553), ("Angers", "49000", 47.478, -0.563)]),
    "Bretagne": (0.05, [("Rennes", "35000", 48.117, -1.678), ("Brest", "29200", 48.390, -4.486)]),
    "Normandie": (0.05, [("Rouen", "76000", 49.443, 1.099), ("Caen", "14000", 49.182, -0.370)]),
    "Bourgogne-Franche-Comté": (
        0.04,
        [("Dijon", "21000", 47.322, 5.041), ("Besançon", "25000", 47.238, 6.024)],
    ),
    "Centre-Val de Loire": (0.04, [("Tours", "37000", 47.394, 0.685), ("Orléans", "45000", 47.903, 1.909)]),
}

FORMATS = {
    # share, sales area range m², order days, assortment share, ticket lines on average
    "hyper": (0.15, (6000, 12000), ("MON", "TUE", "WED", "THU", "FRI", "SAT"), 1.0, 6.0),
    "super": (0.45, (1200, 3000), ("MON", "WED", "FRI"), 0.75, 4.0),
    "proximity": (0.40, (150, 600), ("TUE", "THU", "SAT"), 0.4, 2.5),
}
WEEKLY_PROFILE = {
    "hyper": (0.85, 0.80, 0.95, 0.90, 1.15, 1.45, 0.0),
    "super": (0.90, 0.85, 0.95, 0.95, 1.15, 1.30, 0.70),
    "proximity": (0.95, 0.95, 1.00, 1.00, 1.10, 1.15, 0.85),
}
COUNTRY_PREFIXES = {"FR": (300, 379), "ES": (840, 849), "IT": (800, 839), "DE": (400, 440), "BE": (540, 549)}
BRAND_WORDS = ("Maison", "Les Délices de", "Ferme de", "Saveurs de", "Le Moulin de", "Domaine de", "Atelier")
PLACES = (
    "Provence",
    "Bretagne",
    "l'Aubrac",
    "Savoie",
    "la Loire",
    "Normandie",
    "l'Ouest",
    "Gascogne",
    "Alsace",
    "Touraine",
    "Bourgogne",
    "Vendée",
    "Périgord",
    "Ardèche",
    "Cévennes",
)


class KeyFactory:
    """Hands out GS1 keys (GTIN, GLN, SSCC) under company prefixes, each with a valid check digit."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], int] = {}

    def _take(self, prefix: str, kind: str) -> int:
        number = self._next.get((prefix, kind), 1)
        self._next[(prefix, kind)] = number + 1
        return number

    def gtin13(self, prefix: str) -> str:
        return gs1.with_check_digit(prefix + f"{self._take(prefix, 'gtin'):05d}")

    def gln(self, prefix: str) -> str:
        return gs1.with_check_digit(prefix + f"{self._take(prefix, 'gln'):05d}")

    def sscc(self, prefix: str) -> str:
        return gs1.with_check_digit("0" + prefix + f"{self._take(prefix, 'sscc'):09d}")


def company_prefix(country: str, rng: np.random.Generator, taken: set[str]) -> str:
    low, high = COUNTRY_PREFIXES[country]
    while True:
        prefix = f"{rng.integers(low, high + 1):03d}{rng.integers(0, 10_000):04d}"
        if prefix not in taken:
            taken.add(prefix)
            return prefix


@dataclass
class World:
    """Everything that does not change from day to day."""

    chain_prefix: str
    chain_gln: str  # the chain's head office, owner of what its warehouses hold
    stores: pd.DataFrame
    warehouses: pd.DataFrame
    producers: pd.DataFrame
    farms: pd.DataFrame
    products: pd.DataFrame
    materials: pd.DataFrame
    series_store: np.ndarray  # one entry per (store, product) the store sells
    series_product: np.ndarray
    series_rate: np.ndarray  # mean units a day, before calendar, promotions and prices
    keys: KeyFactory = field(default_factory=KeyFactory)

    @property
    def n_series(self) -> int:
        return len(self.series_store)


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return 111.0 * math.hypot(lat1 - lat2, (lon1 - lon2) * math.cos(math.radians((lat1 + lat2) / 2)))


def build_stores(n_stores: int, chain_prefix: str, keys: KeyFactory, rng: np.random.Generator) -> pd.DataFrame:
    names = list(REGIONS)
    weights = np.array([REGIONS[r][0] for r in names])
    formats = list(FORMATS)
    rows = []
    for index in range(n_stores):
        region = names[rng.choice(len(names), p=weights / weights.sum())]
        city, postal, lat, lon = REGIONS[region][1][rng.integers(len(REGIONS[region][1]))]
        fmt = formats[rng.choice(3, p=[FORMATS[f][0] for f in formats])] if index else "hyper"
        area = int(rng.integers(*FORMATS[fmt][1]))
        open_sunday = fmt == "proximity" or (fmt == "super" and rng.random() < 0.4)
        weekly = np.array(WEEKLY_PROFILE[fmt]) * rng.uniform(0.92, 1.08, 7)
        if not open_sunday:
            weekly[6] = 0.0
        weekly = weekly / weekly[weekly > 0].mean()
        label = {"hyper": "Hyper", "super": "Marché", "proximity": "Proxi"}[fmt]
        rows.append(
            {
                "store_gln": keys.gln(chain_prefix),
                "name": f"{label} {city} {index + 1}",
                "format": fmt,
                "region": region,
                "city": city,
                "postal_code": postal,
                "sales_area_m2": area,
                "order_days": list(FORMATS[fmt][2]),
                "is_open_sunday": open_sunday,
                "opened_on": (dt.date(1985, 1, 1) + dt.timedelta(days=int(rng.integers(0, 12000)))).isoformat(),
                "latitude": round(lat + rng.normal(0, 0.05), 5),
                "longitude": round(lon + rng.normal(0, 0.05), 5),
                # hidden parameters (not in the delivered files)
                "size_factor": (area / 2000) ** 0.6,
                "weekly": weekly,
                "ticket_lines": FORMATS[fmt][4],
                "trend": rng.normal(0, 0.05),
            }
        )
    return pd.DataFrame(rows)


def build_warehouses(stores: pd.DataFrame, chain_prefix: str, keys: KeyFactory) -> pd.DataFrame:
    """One warehouse per busy region (at least one), each store served by the nearest."""
    count = int(min(8, max(1, round(len(stores) / 25))))
    regions = stores["region"].value_counts().index[:count]
    rows = []
    for region in regions:
        city, _, lat, lon = REGIONS[region][1][0]
        rows.append(
            {
                "warehouse_gln": gs1.with_check_digit(chain_prefix + f"9{len(rows) + 1:04d}"),
                "name": f"Entrepôt {city}",
                "region": region,
                "city": city,
                "latitude": lat,
                "longitude": lon,
            }
        )
    warehouses = pd.DataFrame(rows)
    nearest, transit = [], []
    for store in stores.itertuples():
        distances = [
            _distance_km(store.latitude, store.longitude, w.latitude, w.longitude) for w in warehouses.itertuples()
        ]
        nearest.append(int(np.argmin(distances)))
        transit.append(1 if min(distances) > 250 else 0)
    stores["warehouse_idx"] = nearest
    stores["warehouse_gln"] = warehouses["warehouse_gln"].to_numpy()[nearest]
    stores["transit_days"] = transit
    return warehouses


def build_producers(
    n_products: int, chain_prefix: str, keys: KeyFactory, rng: np.random.Generator, taken: set[str]
) -> pd.DataFrame:
    rows = []

    def add(name: str, kind: str, country: str, region: str, owned: bool, role: str, prefix: str) -> None:
        rows.append(
            {
                "producer_gln": keys.gln(prefix),
                "name": name,
                "kind": kind,
                "country": country,
                "region": region,
                "is_chain_owned": owned,
                "gs1_company_prefix": prefix,
                "role": role,
            }
        )

    add(f"Laiterie {OWN_BRAND}", "plant", "FR", "Normandie", True, "dairy_plant", chain_prefix)
    add(
        f"Vergers {OWN_BRAND} - station de conditionnement",
        "plant",
        "FR",
        "Centre-Val de Loire",
        True,
        "fruit_plant",
        chain_prefix,
    )
    add(f"Fournil {OWN_BRAND}", "plant", "FR", "Île-de-France", True, "bakery_plant", chain_prefix)
    add(
        "Coopérative laitière du Bocage",
        "cooperative",
        "FR",
        "Normandie",
        False,
        "dairy_coop",
        company_prefix("FR", rng, taken),
    )
    add(
        "Vergers du Val de Loire",
        "cooperative",
        "FR",
        "Centre-Val de Loire",
        False,
        "fruit_coop",
        company_prefix("FR", rng, taken),
    )
    add(
        "Moulin de la Beauce",
        "mill",
        "FR",
        "Centre-Val de Loire",
        False,
        "mill",
        company_prefix("FR", rng, taken),
    )
    countries = ("FR", "FR", "FR", "FR", "ES", "IT", "DE", "BE")
    used_names = set()
    for _ in range(max(8, n_products // 25)):
        country = countries[rng.integers(len(countries))]
        name = f"{BRAND_WORDS[rng.integers(len(BRAND_WORDS))]} {PLACES[rng.integers(len(PLACES))]}"
        while name in used_names:
            name += " " + "ABCDEFGH"[rng.integers(8)]
        used_names.add(name)
        add(name, "manufacturer", country, "", False, "manufacturer", company_prefix(country, rng, taken))
    return pd.DataFrame(rows)


def build_farms(producers: pd.DataFrame, keys: KeyFactory, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for role, count, commodity, region in (
        ("dairy_coop", 8, "raw cow milk", "Normandie"),
        ("fruit_coop", 5, "apples and pears", "Centre-Val de Loire"),
    ):
        coop = producers[producers["role"] == role].iloc[0]
        _, _, lat, lon = REGIONS[region][1][0]
        kind = "GAEC" if role == "dairy_coop" else "Verger"
        for index in range(count):
            rows.append(
                {
                    "farm_gln": keys.gln(coop["gs1_company_prefix"]),
                    "name": f"{kind} {PLACES[(index * 3) % len(PLACES)]} {index + 1}",
                    "producer_gln": coop["producer_gln"],
                    "country": "FR",
                    "region": region,
                    "commodity": commodity,
                    "is_organic": bool(rng.random() < 0.25),
                    "latitude": round(lat + rng.normal(0, 0.3), 5),
                    "longitude": round(lon + rng.normal(0, 0.3), 5),
                    "role": role,
                    "share": rng.uniform(0.5, 1.5),
                }
            )
    return pd.DataFrame(rows)


def build_materials(producers: pd.DataFrame, keys: KeyFactory) -> pd.DataFrame:
    """Raw materials the own plants transform (not sold in stores, seen only in EPCIS)."""
    rows = []
    for role, name, uom in (
        ("dairy_coop", "Lait cru de vache", "LTR"),
        ("fruit_coop", "Pommes et poires vrac", "KGM"),
        ("mill", "Farine de blé T65", "KGM"),
    ):
        producer = producers[producers["role"] == role].iloc[0]
        rows.append(
            {
                "gtin": keys.gtin13(producer["gs1_company_prefix"]),
                "name": name,
                "uom": uom,
                "producer_gln": producer["producer_gln"],
                "role": role,
                "prefix": producer["gs1_company_prefix"],
            }
        )
    return pd.DataFrame(rows)


def build_products(
    n_products: int, producers: pd.DataFrame, chain_prefix: str, keys: KeyFactory, rng: np.random.Generator
) -> pd.DataFrame:
    names = list(CATEGORIES)
    shares = np.array([CATEGORIES[c].share for c in names])
    counts = np.floor(shares / shares.sum() * n_products).astype(int)
    for index in np.argsort(-shares)[: n_products - counts.sum()]:
        counts[index] += 1
    makers = producers[producers["role"] == "manufacturer"].reset_index(drop=True)
    plants = producers.set_index("role")
    rows = []
    for category, count in zip(names, counts, strict=True):
        spec = CATEGORIES[category]
        for index in range(count):
            subcategory = spec.subcategories[index % len(spec.subcategories)]
            # The own plants make the chain's first products of their category; others are bought in.
            own_plant = spec.plant is not None and index < max(2, count // 3)
            own_brand = own_plant or rng.random() < 0.25
            maker = plants.loc[f"{spec.plant}_plant"] if own_plant else makers.iloc[rng.integers(len(makers))]
            prefix = chain_prefix if own_brand else maker["gs1_company_prefix"]
            unit, sizes = spec.content
            size = int(sizes[rng.integers(len(sizes))])
            brand = OWN_BRAND if own_brand else str(maker["name"])
            rows.append(
                {
                    "gtin": keys.gtin13(prefix),
                    "name": f"{subcategory} {brand} {size} {unit}",
                    "brand": brand,
                    "is_own_brand": own_brand,
                    "category": category,
                    "subcategory": subcategory,
                    "producer_gln": maker["producer_gln"],
                    "origin_country": "FR" if own_plant else str(maker["country"]),
                    "net_content": float(size),
                    "net_content_unit": unit,
                    "case_size": int(spec.case_sizes[rng.integers(len(spec.case_sizes))]),
                    "shelf_life_days": int(rng.integers(spec.shelf_life[0], spec.shelf_life[1] + 1)),
                    "is_fresh": spec.shelf_life[1] <= 60,
                    "price_eur": round(float(rng.uniform(*spec.price)), 2),
                    "vat_rate": spec.vat,
                    "nutriments": nutriments(spec.nutrition, rng) if spec.nutrition else None,
                    "is_beverage": category in ("beverages", "water"),
                    "is_water": category == "water",
                    "is_cheese": category == "cheese",
                    "is_red_meat": category == "meat"
                    and subcategory in ("Steak haché 5%", "Rôti de porc", "Saucisses de Toulouse", "Bœuf bourguignon"),
                    "is_fat_oil_nuts_seeds": category == "oils_fats" or subcategory == "Amandes grillées",
                    "has_non_nutritive_sweeteners": "zéro" in subcategory,
                    # hidden parameters
                    "plant": spec.plant if own_plant else None,
                    "producer_idx": int(producers.index[producers["producer_gln"] == maker["producer_gln"]][0]),
                    "popularity": float(rng.lognormal(math.log(0.6 * spec.popularity), 1.1)),
                    "dispersion": float(rng.uniform(2.0, 20.0)),
                    "promo_elasticity": float(rng.uniform(2.0, 4.5)),
                    "price_elasticity": float(rng.uniform(0.5, 2.0)),
                    "season_amplitude": spec.seasonality[0],
                    "season_peak": spec.seasonality[1],
                    "shrink": spec.shrink,
                    "unit_kg": size / 1000.0,
                    "multibuy": 3 if category in ("water", "dairy") else 1,
                }
            )
    return pd.DataFrame(rows)


def build_series(stores: pd.DataFrame, products: pd.DataFrame, rng: np.random.Generator):
    """The assortment (which store sells what) and each series' base daily rate."""
    rank = products["popularity"].rank(ascending=False).to_numpy() / len(products)
    category_codes = pd.factorize(products["category"])[0]
    affinity = rng.lognormal(0.0, 0.25, (len(stores), category_codes.max() + 1))
    series_store, series_product, series_rate = [], [], []
    for s, store in enumerate(stores.itertuples()):
        share = FORMATS[store.format][3]
        # small stores carry the best sellers, a few others, but no slow fresh lines (they would rot)
        extra = (rng.random(len(products)) < 0.15 * share) & ~products["is_fresh"].to_numpy()
        carried = (rank <= share) | extra | products["plant"].notna().to_numpy()
        if share >= 1.0:
            carried[:] = True
        index = np.flatnonzero(carried)
        rate = (
            products["popularity"].to_numpy()[index]
            * store.size_factor
            * affinity[s, category_codes[index]]
            * rng.lognormal(0.0, 0.3, len(index))
        )
        series_store.append(np.full(len(index), s))
        series_product.append(index)
        series_rate.append(rate)
    return np.concatenate(series_store), np.concatenate(series_product), np.concatenate(series_rate)


def build_world(n_stores: int, n_products: int, rng: np.random.Generator) -> World:
    if n_stores < 1 or n_products < 1:
        raise ValueError("a chain needs at least one store and one product")
    taken: set[str] = set()
    keys = KeyFactory()
    chain_prefix = company_prefix("FR", rng, taken)
    chain_gln = keys.gln(chain_prefix)
    stores = build_stores(n_stores, chain_prefix, keys, rng)
    warehouses = build_warehouses(stores, chain_prefix, keys)
    producers = build_producers(n_products, chain_prefix, keys, rng, taken)
    farms = build_farms(producers, keys, rng)
    materials = build_materials(producers, keys)
    products = build_products(n_products, producers, chain_prefix, keys, rng)
    series_store, series_product, series_rate = build_series(stores, products, rng)
    products = with_supplier_errors(products)
    return World(
        chain_prefix,
        chain_gln,
        stores,
        warehouses,
        producers,
        farms,
        products,
        materials,
        series_store,
        series_product,
        series_rate,
        keys,
    )


def weekday_code(day: dt.date) -> str:
    return WEEKDAYS[day.weekday()]
