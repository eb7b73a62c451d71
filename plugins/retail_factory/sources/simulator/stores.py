"""Store shelves: physical stock by remaining shelf life, recorded stock, ordering.

Physical stock is kept in buckets by days of shelf life left, so shoppers take the oldest units
first and fresh units expire. Recorded stock is what the store's system believes: it misses
theft and mis-booked deliveries (phantom stock) until a physical count corrects it. Orders are
placed on *recorded* stock and on *sales* history, like a plain store system: after a stockout
it sees low sales, orders too little, and phantom stock can freeze a shelf empty.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from retail_factory.sources.simulator.world import FORMATS, World, weekday_code

BUCKETS = 32
LONG_LIFE = BUCKETS - 1  # the last bucket does not age
COUNT_PROBABILITY = 1 / 60  # chance a product is physically counted on an open day
SAFETY = 1.3
SAFETY_PERISHABLE = 1.1  # more cover means more waste


def fefo_take(buckets: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Remove up to ``amount`` units per row, oldest bucket first; return what was taken per row."""
    available = buckets.sum(axis=1)
    taken = np.minimum(amount, available)
    cumulative = np.cumsum(buckets, axis=1)
    taken_cumulative = np.minimum(cumulative, taken[:, None])
    buckets -= np.diff(taken_cumulative, axis=1, prepend=0).astype(buckets.dtype)
    return taken


class StoreShelves:
    def __init__(self, world: World, rng: np.random.Generator) -> None:
        self.world = world
        products = world.products
        product = world.series_product
        self.shelf_life = products["shelf_life_days"].to_numpy()[product]
        self.perishable = self.shelf_life <= LONG_LIFE - 1
        self.case = products["case_size"].to_numpy()[product]
        self.shrink_probability = products["shrink"].to_numpy()[product] * np.clip(np.sqrt(world.series_rate), 0.3, 3.0)
        n = world.n_series
        self.forecast = world.series_rate.copy()  # the store system's smoothed daily sales
        start = np.ceil(self.order_up_to(np.full(n, 4)) * rng.uniform(0.4, 1.0, n)).astype(np.int64)
        self.buckets = np.zeros((n, BUCKETS), dtype=np.int32)
        life = np.where(
            self.perishable,
            np.maximum(1, (self.shelf_life * rng.uniform(0.3, 0.9, n))).astype(int),
            LONG_LIFE,
        )
        self.buckets[np.arange(n), life] = start
        self.recorded = start.copy()
        self.on_order = np.zeros(n, dtype=np.int64)
        stores = world.stores
        self.order_days = [set(days) for days in stores["order_days"]]
        self.lead_days = 1 + stores["transit_days"].to_numpy()

    @property
    def physical(self) -> np.ndarray:
        return self.buckets.sum(axis=1).astype(np.int64)

    def order_up_to(self, cover_days: np.ndarray) -> np.ndarray:
        """Units to have on hand and on order: cover until the next delivery, plus the display minimum."""
        display = np.where((self.world.series_rate > 0.5) & ~self.perishable, 2, 1)
        safety = np.where(self.perishable, SAFETY_PERISHABLE, SAFETY)
        return np.ceil(self.forecast * cover_days * safety) + display

    def receive(self, series: np.ndarray, quantity: np.ndarray, life_left: np.ndarray) -> None:
        bucket = np.where(self.perishable[series], np.clip(life_left, 0, LONG_LIFE - 1), LONG_LIFE)
        np.add.at(self.buckets, (series, bucket), quantity.astype(np.int32))

    def sell(self, demand: np.ndarray) -> np.ndarray:
        return fefo_take(self.buckets, demand)

    def lose(self, rng: np.random.Generator, open_series: np.ndarray) -> np.ndarray:
        """Theft and breakage nobody records: one unit now and then."""
        lost = (rng.random(len(open_series)) < self.shrink_probability) & open_series
        return fefo_take(self.buckets, lost.astype(np.int64))

    def expire(self) -> np.ndarray:
        """End of day: perishable units with no shelf life left are thrown away (and recorded)."""
        waste = np.where(self.perishable, self.buckets[:, 0], 0).astype(np.int64)
        rows = self.perishable
        self.buckets[rows, : LONG_LIFE - 1] = self.buckets[rows, 1:LONG_LIFE]
        self.buckets[rows, LONG_LIFE - 1] = 0
        self.recorded -= waste
        return waste

    def count(self, rng: np.random.Generator, open_series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Physical counts on a few products; returns (counted?, adjustment booked)."""
        counted = (rng.random(len(open_series)) < COUNT_PROBABILITY) & open_series
        adjustment = np.where(counted, self.physical - self.recorded, 0)
        self.recorded += adjustment
        return counted, adjustment

    def learn(self, sales: np.ndarray, open_series: np.ndarray) -> None:
        self.forecast = np.where(open_series, 0.85 * self.forecast + 0.15 * sales, self.forecast)

    def orders(self, day: dt.date, open_stores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Series ordering today and how many units (whole cases)."""
        code = weekday_code(day)
        ordering_store = np.array([code in days for days in self.order_days]) & open_stores
        if not ordering_store.any():
            return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
        review = np.array([_days_to_next_order(day, days) for days in self.order_days])
        cover = (review + self.lead_days)[self.world.series_store]
        cover = np.where(self.perishable, np.minimum(cover, np.maximum(1, self.shelf_life - 2)), cover)
        need = self.order_up_to(cover) - self.recorded - self.on_order
        # A perishable case that mostly would expire unsold is only ordered to keep the line on show.
        sells_in_time = self.forecast * np.maximum(1, self.shelf_life - 2) >= 0.5 * self.case
        empty = self.recorded + self.on_order <= 0
        need = np.where(self.perishable & ~sells_in_time & ~empty, 0, need)
        ordering = ordering_store[self.world.series_store] & (need > 0)
        series = np.flatnonzero(ordering)
        quantity = (np.ceil(need[series] / self.case[series]) * self.case[series]).astype(np.int64)
        self.on_order[series] += quantity
        return series, quantity


def _days_to_next_order(day: dt.date, order_days: set[str]) -> int:
    for ahead in range(1, 8):
        if weekday_code(day + dt.timedelta(days=ahead)) in order_days:
            return ahead
    return 7


def ticket_lines_per_store(world: World) -> np.ndarray:
    return np.array([FORMATS[f][4] for f in world.stores["format"]])


def split_into_lines(units: np.ndarray, per_line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each series' units into till lines; returns (owner of each line, quantity of each line)."""
    lines = np.where(units > 0, np.ceil(units / per_line), 0).astype(np.int64)
    owner = np.repeat(np.arange(len(units)), lines)
    first = np.repeat(np.cumsum(lines) - lines, lines)
    position = np.arange(len(owner)) - first
    base, extra = units[owner] // lines[owner], units[owner] % lines[owner]
    return owner, base + (position < extra)


def hours_of_trading(store_format: str) -> tuple[int, int]:
    return (7 * 3600, 21 * 3600) if store_format == "proximity" else (8 * 3600 + 1800, 21 * 3600)
