"""Warehouses and producers: lots in and out (first expired, first out), purchase orders, deliveries."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retail_factory.sources.simulator.calendar import next_logistics_day
from retail_factory.sources.simulator.world import World

FRESH_MIN_LIFE_TO_SHIP = 2  # days of shelf life a fresh lot must keep to leave the warehouse
CAGE_LINES = 40  # order lines on one roll cage (one SSCC)


@dataclass
class Lot:
    lot: str
    quantity: int
    best_before: dt.date
    production: dt.date
    sscc: str


@dataclass
class ProducerState:
    lead_days: int
    shortage_until: dt.date
    shortage_fill: float


class Warehouses:
    def __init__(self, world: World, rng: np.random.Generator, first_day: dt.date) -> None:
        self.world = world
        self.rng = rng
        products = world.products
        n_warehouses, n_products = len(world.warehouses), len(products)
        warehouse_of_series = world.stores["warehouse_idx"].to_numpy()[world.series_store]
        self.outflow = np.zeros((n_warehouses, n_products))
        np.add.at(self.outflow, (warehouse_of_series, world.series_product), world.series_rate)
        self.on_hand = np.zeros((n_warehouses, n_products), dtype=np.int64)
        self.on_order = np.zeros((n_warehouses, n_products), dtype=np.int64)
        self.lots: dict[tuple[int, int], list[Lot]] = defaultdict(list)
        self.gtin = products["gtin"].to_numpy()
        self.shelf_life = products["shelf_life_days"].to_numpy()
        self.fresh = products["is_fresh"].to_numpy()
        self.case = products["case_size"].to_numpy()
        self.producer_of = products["producer_idx"].to_numpy()
        self.producers = [
            ProducerState(2 if owned else int(rng.integers(2, 5)), first_day, 1.0)
            for owned in world.producers["is_chain_owned"]
        ]
        for w, p in zip(*np.nonzero(self.outflow), strict=True):
            quantity = int(np.ceil(self.outflow[w, p] * 6 / self.case[p]) * self.case[p])
            produced = first_day - dt.timedelta(days=int(rng.integers(1, max(2, self.shelf_life[p] // 3))))
            self._store_lot(
                w,
                p,
                Lot(
                    f"L{produced:%y%j}I",
                    quantity,
                    produced + dt.timedelta(days=int(self.shelf_life[p])),
                    produced,
                    world.keys.sscc(world.chain_prefix),
                ),
            )

    def _store_lot(self, w: int, p: int, lot: Lot) -> None:
        lots = self.lots[(w, p)]
        for existing in lots:  # the same lot delivered twice merges into one stock line
            if existing.lot == lot.lot and existing.best_before == lot.best_before:
                existing.quantity += lot.quantity
                break
        else:
            lots.append(lot)
            lots.sort(key=lambda item: item.best_before)
        self.on_hand[w, p] += lot.quantity

    # --- incoming ---------------------------------------------------------------------------
    def receive(self, deliveries: pd.DataFrame) -> None:
        for row in deliveries.itertuples():
            self.on_order[row.warehouse, row.product] -= row.ordered
            if row.quantity > 0:
                lot = Lot(row.lot, row.quantity, row.best_before, row.production_date, row.sscc)
                self._store_lot(row.warehouse, row.product, lot)

    def expire(self, day: dt.date) -> list[dict]:
        """Lots too close to their date to ship are destroyed; returns what was thrown away."""
        wasted = []
        for (w, p), lots in self.lots.items():
            keep_from = day + dt.timedelta(days=FRESH_MIN_LIFE_TO_SHIP if self.fresh[p] else 0)
            while lots and lots[0].best_before < keep_from:
                lot = lots.pop(0)
                self.on_hand[w, p] -= lot.quantity
                wasted.append({"warehouse": w, "product": p, "lot": lot.lot, "quantity": lot.quantity})
        return wasted

    # --- to the stores ------------------------------------------------------------------------
    def ship(self, day: dt.date, orders: pd.DataFrame) -> pd.DataFrame:
        """Pick store orders from the lots, oldest date first; short-ship what is missing."""
        columns = [
            "order_id",
            "order_line",
            "series",
            "store",
            "warehouse",
            "product",
            "lot",
            "best_before",
            "quantity",
        ]
        asked_today = np.zeros_like(self.outflow)
        if orders.empty:
            self.outflow = 0.85 * self.outflow
            return pd.DataFrame(columns=columns)
        orders = orders.sort_values(["warehouse", "product", "store"], kind="stable").reset_index(drop=True)
        warehouse = orders["warehouse"].to_numpy(dtype=np.int64)
        product = orders["product"].to_numpy(dtype=np.int64)
        wanted_units = orders["quantity"].to_numpy(dtype=np.int64)
        np.add.at(asked_today, (warehouse, product), wanted_units)
        group_key = warehouse * self.outflow.shape[1] + product
        starts = np.r_[0, np.flatnonzero(np.diff(group_key)) + 1, len(orders)]
        picked_row, picked_lot, picked_date, picked_units = [], [], [], []
        # A plain loop: each order line walks its (warehouse, product) lots in date order.
        for start, end in itertools.pairwise(starts):
            w, p = int(warehouse[start]), int(product[start])
            lots = self.lots.get((w, p))
            if not lots:
                continue
            for row in range(start, end):
                wanted = int(wanted_units[row])
                while wanted > 0 and lots:
                    lot = lots[0]
                    take = min(wanted, lot.quantity)
                    picked_row.append(row)
                    picked_lot.append(lot.lot)
                    picked_date.append(lot.best_before)
                    picked_units.append(take)
                    lot.quantity -= take
                    self.on_hand[w, p] -= take
                    wanted -= take
                    if lot.quantity == 0:
                        lots.pop(0)
        # learn from what stores asked for, not from what could be shipped (that would hide shortages)
        self.outflow = 0.85 * self.outflow + 0.15 * asked_today * 7 / 6
        shipped = orders.iloc[picked_row][["order_id", "order_line", "series", "store", "warehouse", "product"]]
        return shipped.assign(lot=picked_lot, best_before=picked_date, quantity=picked_units).reset_index(drop=True)

    # --- from the producers -------------------------------------------------------------------
    def replenish(self, day: dt.date) -> pd.DataFrame:
        """Purchase orders where stock plus open orders no longer cover the lead time."""
        rng = self.rng
        for state in self.producers:
            if state.shortage_until < day and rng.random() < 0.004:
                state.shortage_until = day + dt.timedelta(days=int(rng.integers(3, 11)))
                state.shortage_fill = float(rng.uniform(0.5, 0.9))
        lead = np.array([self.producers[i].lead_days for i in self.producer_of])
        # bought-in fresh food comes daily, the next day; fresh stock only flows through the warehouse
        lead = np.where(self.fresh & (lead > 2), 1, lead)
        position = self.on_hand + self.on_order
        reorder = position < self.outflow * (lead + np.where(self.fresh, 1.0, 3))
        target = self.outflow * (lead + np.where(self.fresh, 1.5, 7)) * 1.2
        layer = np.where(self.fresh, self.case, self.case * 5)
        rows = []
        for w, p in zip(*np.nonzero(reorder & (self.outflow > 0)), strict=True):
            quantity = int(np.ceil((target[w, p] - position[w, p]) / layer[p]) * layer[p])
            if quantity <= 0:
                continue
            self.on_order[w, p] += quantity
            producer = int(self.producer_of[p])
            due = next_logistics_day(day + dt.timedelta(days=int(lead[p])))
            rows.append((w, producer, p, quantity, due))
        orders = pd.DataFrame(rows, columns=["warehouse", "producer", "product", "quantity", "due_date"]).astype(
            {"warehouse": np.int64, "producer": np.int64, "product": np.int64, "quantity": np.int64}
        )
        orders["po_id"] = [
            f"PO{day:%y%m%d}W{w:02d}P{pr:03d}" for w, pr in zip(orders["warehouse"], orders["producer"], strict=True)
        ]
        orders["po_line"] = orders.groupby("po_id").cumcount() + 1
        return orders

    def fill_rate(self, producer: int, day: dt.date) -> float:
        state = self.producers[producer]
        return state.shortage_fill if day <= state.shortage_until else 1.0

    def external_deliveries(self, day: dt.date, orders: pd.DataFrame) -> pd.DataFrame:
        """What bought-in producers will deliver for today's orders: lot, dates, quantity, pallet."""
        rng = self.rng
        rows = []
        keys, prefixes = self.world.keys, self.world.producers["gs1_company_prefix"].to_numpy()
        for order in orders.itertuples():
            p = order.product
            delivered = int(order.quantity * self.fill_rate(order.producer, day) // self.case[p] * self.case[p])
            arrival = order.due_date
            if rng.random() < 0.05:
                arrival = next_logistics_day(arrival + dt.timedelta(days=1))
            age = int(rng.integers(0, 2)) if self.fresh[p] else int(rng.integers(5, max(6, self.shelf_life[p] // 6)))
            produced = arrival - dt.timedelta(days=age)
            rows.append(
                (
                    order.warehouse,
                    order.producer,
                    p,
                    order.po_id,
                    order.po_line,
                    order.quantity,
                    delivered,
                    f"L{produced:%y%j}{'ABCDEFGH'[order.producer % 8]}",
                    produced,
                    produced + dt.timedelta(days=int(self.shelf_life[p])),
                    arrival,
                    keys.sscc(prefixes[order.producer]),
                )
            )
        return pd.DataFrame(rows, columns=DELIVERY_COLUMNS)


DELIVERY_COLUMNS = [
    "warehouse",
    "producer",
    "product",
    "po_id",
    "po_line",
    "ordered",
    "quantity",
    "lot",
    "production_date",
    "best_before",
    "arrival",
    "sscc",
]
