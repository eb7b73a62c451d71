"""Latent shopper demand per store and product: rates, week, calendar, seasons, prices, promotions."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retail_factory.sources.simulator.calendar import calendar_demand_factor, is_closed_holiday
from retail_factory.sources.simulator.world import World

PROMO_LEAD_DAYS = (7, 14)  # promotions are announced one to two weeks before they start
DISCOUNTS = (0.20, 0.25, 0.30, 0.34, 0.40, 0.50)
LOYALTY_TAKE_UP = 0.6  # share of shoppers with the loyalty card


@dataclass(frozen=True)
class Promotion:
    promo_id: str
    product: int
    store_format: str  # "all" or one format
    start: dt.date
    end: dt.date
    discount: float
    mechanism: str  # price_cut | loyalty_card
    announced_on: dt.date


class DemandModel:
    def __init__(self, world: World, rng: np.random.Generator) -> None:
        self.world = world
        self.rng = rng
        products = world.products
        self.base_price = products["price_eur"].to_numpy(dtype=float)
        self.price = self.base_price.copy()
        self.promotions: list[Promotion] = []  # announced and not over yet
        self.promotions_seen: list[Promotion] = []  # every promotion ever announced (for the truth)
        self._store_format = world.stores["format"].to_numpy()
        self._weekly = np.stack(world.stores["weekly"].to_numpy())  # (stores, 7)
        self._is_bakery = (products["category"] == "bakery").to_numpy()
        self._promo_counter = 0

    # --- prices and promotions -------------------------------------------------------------
    def change_prices(self, rng: np.random.Generator) -> np.ndarray:
        """A few regular prices move each day (mostly up); returns the products whose price changed."""
        changed = np.flatnonzero(rng.random(len(self.price)) < 1 / 150)
        self.price[changed] = np.round(self.price[changed] * rng.uniform(0.95, 1.09, len(changed)), 2)
        return changed

    def announce_promotions(self, day: dt.date, rng: np.random.Generator) -> list[Promotion]:
        n_products = len(self.price)
        announced = []
        for _ in range(rng.poisson(max(0.3, n_products * 0.0025))):
            self._promo_counter += 1
            start = day + dt.timedelta(days=int(rng.integers(*PROMO_LEAD_DAYS)))
            length = 7 if rng.random() < 0.7 else 14
            fmt = "all" if rng.random() < 0.7 else ("hyper", "super", "proximity")[rng.integers(3)]
            announced.append(
                Promotion(
                    promo_id=f"PR{day:%y%m%d}{self._promo_counter:04d}",
                    product=int(rng.integers(n_products)),
                    store_format=fmt,
                    start=start,
                    end=start + dt.timedelta(days=length - 1),
                    discount=float(DISCOUNTS[rng.integers(len(DISCOUNTS))]),
                    mechanism="price_cut" if rng.random() < 0.75 else "loyalty_card",
                    announced_on=day,
                )
            )
        self.promotions.extend(announced)
        self.promotions_seen.extend(announced)
        return announced

    def active_promotions(self, day: dt.date) -> list[Promotion]:
        self.promotions = [p for p in self.promotions if p.end >= day]
        return [p for p in self.promotions if p.start <= day]

    def promo_table(self, day: dt.date) -> pd.DataFrame:
        """Active promotion per (store, product), one row each (the deepest discount wins)."""
        rows = []
        for promo in self.active_promotions(day):
            for store in np.flatnonzero((self._store_format == promo.store_format) | (promo.store_format == "all")):
                rows.append((int(store), promo.product, promo.promo_id, promo.discount, promo.mechanism))
        table = pd.DataFrame(rows, columns=["store", "product", "promo_id", "discount", "mechanism"]).astype(
            {"store": np.int64, "product": np.int64, "discount": float}
        )
        return table.sort_values("discount", ascending=False).drop_duplicates(["store", "product"])

    # --- demand ----------------------------------------------------------------------------
    def store_open(self, day: dt.date) -> np.ndarray:
        return (self._weekly[:, day.weekday()] > 0) & (not is_closed_holiday(day))

    def expected(self, day: dt.date, promos: pd.DataFrame) -> np.ndarray:
        """Mean demand of every series on ``day`` (0 where the store is closed)."""
        w = self.world
        products = w.products
        store, product = w.series_store, w.series_product
        weekly = self._weekly[store, day.weekday()]
        if day.weekday() == 6:
            weekly = weekly * np.where(self._is_bakery[product], 1.5, 1.0)
        season = 1 + products["season_amplitude"].to_numpy()[product] * np.cos(
            2 * math.pi * (day.timetuple().tm_yday - products["season_peak"].to_numpy()[product]) / 365.25
        )
        years = (day - dt.date(2020, 1, 1)).days / 365.25
        trend = np.exp(w.stores["trend"].to_numpy()[store] * (years - 5))
        price = (self.price / self.base_price) ** (-products["price_elasticity"].to_numpy())
        rate = w.series_rate * weekly * season * trend * price[product] * calendar_demand_factor(day)
        return rate * self.promo_uplift(promos)

    def promo_uplift(self, promos: pd.DataFrame) -> np.ndarray:
        uplift = np.ones(self.world.n_series)
        if promos.empty:
            return uplift
        index = self.series_index(promos["store"].to_numpy(), promos["product"].to_numpy())
        found = index >= 0
        elasticity = self.world.products["promo_elasticity"].to_numpy()[promos["product"].to_numpy()]
        full = (1 - promos["discount"].to_numpy()) ** (-elasticity)
        effect = np.where(promos["mechanism"].to_numpy() == "loyalty_card", 1 + LOYALTY_TAKE_UP * (full - 1), full)
        uplift[index[found]] = effect[found]
        return uplift

    def series_index(self, stores: np.ndarray, products: np.ndarray) -> np.ndarray:
        """Position of each (store, product) among the series, -1 where the store does not sell it."""
        n_products = len(self.price)
        keys = self.world.series_store.astype(np.int64) * n_products + self.world.series_product
        wanted = stores.astype(np.int64) * n_products + products
        position = np.searchsorted(keys, wanted)
        position = np.clip(position, 0, len(keys) - 1)
        return np.where(keys[position] == wanted, position, -1)

    def draw(self, expected: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Units shoppers want: negative binomial (gamma-Poisson), over-dispersed per product."""
        k = self.world.products["dispersion"].to_numpy()[self.world.series_product]
        return rng.poisson(expected * rng.gamma(k, 1 / k)).astype(np.int64)
