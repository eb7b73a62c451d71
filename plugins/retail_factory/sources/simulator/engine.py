"""One day of the chain: deliveries, shipping, shopping, stock, orders, production.

The order of a day: producer pallets arrive at the warehouses; warehouses pick yesterday's store
orders; lorries reach the stores; shoppers buy what is physically on the shelf (the rest is lost
demand); some units disappear unrecorded; expired units are thrown away; a few products are
counted; stores order on what their system believes; warehouses order from producers; the own
plants make what the warehouses ordered the day before.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from retail_factory.sources.simulator.calendar import is_logistics_day, next_logistics_day, utc_offset
from retail_factory.sources.simulator.demand import DemandModel, Promotion
from retail_factory.sources.simulator.production import OwnPlants, deliveries_frame
from retail_factory.sources.simulator.stores import StoreShelves, hours_of_trading, split_into_lines
from retail_factory.sources.simulator.supply import DELIVERY_COLUMNS, Warehouses
from retail_factory.sources.simulator.world import World

FLOW_COLUMNS = ["date", "step", "from_gln", "to_gln", "gtin", "lot", "quantity", "uom", "sscc"]
RECEIPT_ERROR_RATE = 0.01  # a delivery line booked in full although units were missing
LATE_LORRY_RATE = 0.03


@dataclass
class DayRecords:
    """What happened on one day: the sources' records and the truth behind them."""

    day: dt.date
    promotions: list[Promotion] = field(default_factory=list)
    pos: pd.DataFrame | None = None
    stock: pd.DataFrame | None = None
    store_orders: pd.DataFrame | None = None
    shipments: pd.DataFrame | None = None
    receipts: pd.DataFrame | None = None
    purchase_orders: pd.DataFrame | None = None
    producer_deliveries: pd.DataFrame | None = None
    epcis: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    truth_series: pd.DataFrame | None = None
    truth_flows: list[pd.DataFrame] = field(default_factory=list)
    truth_transformations: list[dict[str, Any]] = field(default_factory=list)


def _postpone(pending: dict[dt.date, list[pd.DataFrame]], day: dt.date, to: dt.date) -> None:
    if day in pending:
        pending[to].extend(pending.pop(day))


def _pop(pending: dict[dt.date, list[pd.DataFrame]], day: dt.date, columns: list[str]) -> pd.DataFrame:
    """Everything due on or before ``day`` (nothing scheduled is ever forgotten)."""
    frames = [frame for due in sorted(d for d in pending if d <= day) for frame in pending.pop(due)]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


class ChainSimulator:
    def __init__(self, world: World, rng: np.random.Generator, first_day: dt.date) -> None:
        self.world = world
        self.rng = rng
        self.demand = DemandModel(world, rng)
        self.shelves = StoreShelves(world, rng)
        self.warehouses = Warehouses(world, rng, first_day)
        self.plants = OwnPlants(world, rng)
        self.pending_deliveries: dict[dt.date, list[pd.DataFrame]] = defaultdict(list)
        self.pending_store_orders: dict[dt.date, list[pd.DataFrame]] = defaultdict(list)
        self.pending_arrivals: dict[dt.date, list[pd.DataFrame]] = defaultdict(list)
        self._order_counter = 0

    def step(self, day: dt.date) -> DayRecords:
        rec = DayRecords(day)
        self.demand.change_prices(self.rng)
        rec.promotions = self.demand.announce_promotions(day, self.rng)
        if is_logistics_day(day):
            self._warehouse_morning(day, rec)
        else:
            following = next_logistics_day(day)
            _postpone(self.pending_deliveries, day, following)
            _postpone(self.pending_store_orders, day, following)
        open_stores = self.demand.store_open(day)
        received = self._store_receipts(day, open_stores, rec)
        self._trading_day(day, open_stores, received, rec)
        self._store_orders(day, open_stores, rec)
        if is_logistics_day(day):
            self._purchasing_and_production(day, rec)
        return rec

    # --- warehouses ----------------------------------------------------------------------------
    def _warehouse_morning(self, day: dt.date, rec: DayRecords) -> None:
        world = self.world
        arriving = _pop(self.pending_deliveries, day, DELIVERY_COLUMNS)
        self.warehouses.receive(arriving)
        rec.producer_deliveries = arriving
        delivered = arriving[arriving["quantity"] > 0]
        rec.truth_flows.append(
            self._flows(
                day,
                "to_warehouse",
                world.producers["producer_gln"],
                delivered["producer"],
                world.warehouses["warehouse_gln"],
                delivered["warehouse"],
                delivered,
            )
        )
        wasted = pd.DataFrame(self.warehouses.expire(day), columns=["warehouse", "product", "lot", "quantity"])
        rec.truth_flows.append(
            self._flows(
                day,
                "destroyed_at_warehouse",
                world.warehouses["warehouse_gln"],
                wasted["warehouse"],
                None,
                None,
                wasted.assign(sscc=None),
            )
        )
        orders = _pop(
            self.pending_store_orders,
            day,
            ["order_id", "order_line", "series", "store", "warehouse", "product", "quantity"],
        )
        shipped = self.warehouses.ship(day, orders)
        # what could not be picked is cancelled: the store's system stops waiting for it
        picked = shipped.groupby("series")["quantity"].sum()
        ordered = orders.groupby("series")["quantity"].sum()
        short = ordered.sub(picked, fill_value=0)
        self.shelves.on_order[short.index.to_numpy(dtype=np.int64)] -= short.to_numpy(dtype=np.int64)
        rec.shipments = self._shipment_lines(day, shipped)

    def _shipment_lines(self, day: dt.date, shipped: pd.DataFrame) -> pd.DataFrame:
        world = self.world
        stores = world.stores
        if shipped.empty:
            shipped = shipped.assign(shipment_id=[], shipment_line=[], sscc=[], arrival=[])
            return shipped
        shipped = shipped.sort_values(["warehouse", "store", "product", "best_before"], kind="stable")
        shipped["shipment_id"] = [
            f"SH{day:%y%m%d}W{w:02d}S{s:04d}" for w, s in zip(shipped["warehouse"], shipped["store"], strict=True)
        ]
        shipped["shipment_line"] = shipped.groupby("shipment_id").cumcount() + 1
        cage = (shipped["shipment_line"] - 1) // 40
        cages = {
            key: world.keys.sscc(world.chain_prefix)
            for key in sorted(set(zip(shipped["shipment_id"], cage, strict=True)))
        }
        shipped["sscc"] = [cages[key] for key in zip(shipped["shipment_id"], cage, strict=True)]
        transit = stores["transit_days"].to_numpy()[shipped["store"].to_numpy()]
        late = {s: int(self.rng.random() < LATE_LORRY_RATE) for s in shipped["shipment_id"].unique()}
        delay = shipped["shipment_id"].map(late).to_numpy()
        shipped["expected_arrival"] = [day + dt.timedelta(days=int(t)) for t in transit]
        shipped["arrival"] = [day + dt.timedelta(days=int(t + d)) for t, d in zip(transit, delay, strict=True)]
        for arrival, group in shipped.groupby("arrival"):
            self.pending_arrivals[arrival].append(group)
        return shipped.reset_index(drop=True)

    # --- stores ------------------------------------------------------------------------------------
    def _store_receipts(self, day: dt.date, open_stores: np.ndarray, rec: DayRecords) -> dict[str, np.ndarray]:
        n = self.world.n_series
        received = {"physical": np.zeros(n, dtype=np.int64), "recorded": np.zeros(n, dtype=np.int64)}
        arriving = _pop(self.pending_arrivals, day, [])
        if arriving.empty:
            rec.receipts = arriving
            return received
        is_open = open_stores[arriving["store"].to_numpy()]
        if (~is_open).any():  # closed today: the lorry comes back tomorrow
            self.pending_arrivals[day + dt.timedelta(days=1)].append(arriving[~is_open])
        arriving = arriving[is_open].copy()
        booked = arriving["quantity"].to_numpy(dtype=np.int64)
        mistakes = self.rng.random(len(arriving)) < RECEIPT_ERROR_RATE
        missing = np.where(mistakes, np.minimum(booked, self.rng.integers(1, 4, len(arriving))), 0)
        arriving["physical"] = booked - missing
        series = arriving["series"].to_numpy(dtype=np.int64)
        life = np.array([(bb - day).days for bb in arriving["best_before"]], dtype=np.int64)
        self.shelves.receive(series, arriving["physical"].to_numpy(), life)
        np.add.at(received["physical"], series, arriving["physical"].to_numpy())
        np.add.at(received["recorded"], series, booked)
        self.shelves.recorded += received["recorded"]
        np.subtract.at(self.shelves.on_order, series, booked)
        arriving["receipt_id"] = "RC" + arriving["shipment_id"].str[2:]
        arriving["receipt_line"] = arriving.groupby("receipt_id").cumcount() + 1
        rec.receipts = arriving
        world = self.world
        rec.truth_flows.append(
            self._flows(
                day,
                "to_store",
                world.warehouses["warehouse_gln"],
                arriving["warehouse"],
                world.stores["store_gln"],
                arriving["store"],
                arriving.assign(quantity=arriving["physical"]),
            )
        )
        return received

    def _flows(
        self,
        day: dt.date,
        step: str,
        from_glns: pd.Series,
        from_index: pd.Series,
        to_glns: pd.Series | None,
        to_index: pd.Series | None,
        lines: pd.DataFrame,
    ) -> pd.DataFrame:
        """Lot movements for the truth, one row per line: who to whom, which lot, how many."""
        return pd.DataFrame(
            {
                "date": day,
                "step": step,
                "from_gln": from_glns.to_numpy()[from_index.to_numpy(dtype=np.int64)],
                "to_gln": None if to_glns is None else to_glns.to_numpy()[to_index.to_numpy(dtype=np.int64)],
                "gtin": self.world.products["gtin"].to_numpy()[lines["product"].to_numpy(dtype=np.int64)],
                "lot": lines["lot"].to_numpy(),
                "quantity": lines["quantity"].to_numpy(dtype=float),
                "uom": "EA",
                "sscc": lines["sscc"].to_numpy(),
            }
        )

    def _trading_day(
        self, day: dt.date, open_stores: np.ndarray, received: dict[str, np.ndarray], rec: DayRecords
    ) -> None:
        world, shelves = self.world, self.shelves
        open_series = open_stores[world.series_store]
        recorded_open = shelves.recorded - received["recorded"]
        physical_open = shelves.physical - received["physical"]
        promos = self.demand.promo_table(day)
        expected = self.demand.expected(day, promos)
        demand = np.where(open_series, self.demand.draw(expected, self.rng), 0)
        on_shelf = shelves.physical
        sales = shelves.sell(demand)
        shelves.recorded -= sales
        shrink = shelves.lose(self.rng, open_series)
        waste = shelves.expire()
        counted, adjustment = shelves.count(self.rng, open_series)
        shelves.learn(sales, open_series)
        rec.pos = self._till_lines(day, sales, promos)
        store_glns = world.stores["store_gln"].to_numpy()[world.series_store]
        gtins = world.products["gtin"].to_numpy()[world.series_product]
        rec.stock = pd.DataFrame(
            {
                "store": world.series_store,
                "snapshot_date": day,
                "store_gln": store_glns,
                "gtin": gtins,
                "on_hand_qty": shelves.recorded,
                "waste_qty": waste,
                "adjustment_qty": adjustment,
                "is_counted": counted,
            }
        )
        rec.truth_series = pd.DataFrame(
            {
                "date": day,
                "store_gln": store_glns,
                "gtin": gtins,
                "is_store_open": open_series,
                "expected_demand": np.round(expected, 4),
                "demand": demand,
                "sales": sales,
                "lost_sales": demand - sales,
                "physical_open": physical_open,
                "received_physical": received["physical"],
                "on_shelf_before_trading": on_shelf,
                "shrink": shrink,
                "waste": waste,
                "physical_close": shelves.physical,
                "recorded_open": recorded_open,
                "received_recorded": received["recorded"],
                "adjustment": adjustment,
                "recorded_close": shelves.recorded.copy(),
                "is_available": open_series & (on_shelf > 0),
                "is_stockout": open_series & ((on_shelf == 0) | (demand > sales)),
            }
        )

    def _till_lines(self, day: dt.date, sales: np.ndarray, promos: pd.DataFrame) -> pd.DataFrame:
        world, rng = self.world, self.rng
        products, stores = world.products, world.stores
        sold = np.flatnonzero(sales > 0)
        per_line = products["multibuy"].to_numpy()[world.series_product[sold]]
        owner, quantity = split_into_lines(sales[sold], per_line)
        series = sold[owner]
        store, product = world.series_store[series], world.series_product[series]
        lines_per_store = np.bincount(store, minlength=len(stores))
        tickets = np.maximum(1, np.ceil(lines_per_store / stores["ticket_lines"].to_numpy())).astype(np.int64)
        ticket = (rng.random(len(store)) * tickets[store]).astype(np.int64)
        order = np.lexsort((product, ticket, store))
        store, product, quantity, ticket = store[order], product[order], quantity[order], ticket[order]
        ticket_key = store.astype(np.int64) * 1_000_000 + ticket
        starts = np.r_[0, np.flatnonzero(np.diff(ticket_key)) + 1] if len(ticket_key) else np.array([], int)
        line_number = np.arange(len(ticket_key)) - np.repeat(starts, np.diff(np.r_[starts, len(ticket_key)]))
        opening = np.array([hours_of_trading(f) for f in stores["format"]])[store[starts]]
        span = opening[:, 1] - opening[:, 0]
        ticket_time = opening[:, 0] + (rng.beta(2.2, 1.8, len(starts)) * span).astype(np.int64)
        seconds = np.repeat(ticket_time, np.diff(np.r_[starts, len(ticket_key)]))
        frame = pd.DataFrame({"store": store, "product": product, "quantity": quantity})
        frame = frame.merge(promos, on=["store", "product"], how="left")
        loyalty_missed = (frame["mechanism"] == "loyalty_card").to_numpy() & (rng.random(len(frame)) > 0.6)
        discount = np.where(loyalty_missed, 0.0, frame["discount"].fillna(0.0).to_numpy(dtype=float))
        price = self.demand.price[product]
        discount_amount = np.round(quantity * price * discount, 2)
        offset = utc_offset(day)
        hh, mm, ss = seconds // 3600, seconds % 3600 // 60, seconds % 60
        return pd.DataFrame(
            {
                "store": store,
                "store_gln": stores["store_gln"].to_numpy()[store],
                "ticket_id": _join(f"T{day:%y%m%d}S", _zfill(store, 4), "-", _zfill(ticket, 5)),
                "line_number": line_number + 1,
                "sold_at": _join(f"{day.isoformat()}T", _zfill(hh, 2), ":", _zfill(mm, 2), ":", _zfill(ss, 2), offset),
                "gtin": products["gtin"].to_numpy()[product],
                "label": products["name"].to_numpy()[product],
                "quantity": quantity,
                "unit_price": price,
                "discount_amount": discount_amount,
                "line_amount": np.round(quantity * price - discount_amount, 2),
                "promo_id": np.where(discount > 0, frame["promo_id"].to_numpy(), None),
            }
        )

    def _store_orders(self, day: dt.date, open_stores: np.ndarray, rec: DayRecords) -> None:
        world = self.world
        series, quantity = self.shelves.orders(day, open_stores)
        store = world.series_store[series]
        ship_day = next_logistics_day(day + dt.timedelta(days=1))
        transit = world.stores["transit_days"].to_numpy()[store]
        orders = pd.DataFrame(
            {
                "order_id": [f"OR{day:%y%m%d}S{s:04d}" for s in store],
                "series": series,
                "store": store,
                "warehouse": world.stores["warehouse_idx"].to_numpy()[store],
                "product": world.series_product[series],
                "quantity": quantity,
                "requested_delivery_date": [ship_day + dt.timedelta(days=int(t)) for t in transit],
            }
        )
        orders["order_line"] = orders.groupby("order_id").cumcount() + 1
        rec.store_orders = orders
        self.pending_store_orders[ship_day].append(orders)

    # --- producers ---------------------------------------------------------------------------------
    def _purchasing_and_production(self, day: dt.date, rec: DayRecords) -> None:
        orders = self.warehouses.replenish(day)
        rec.purchase_orders = orders
        own = self.world.producers["is_chain_owned"].to_numpy()[orders["producer"].to_numpy()].astype(bool)
        self.plants.plan(day, orders[own])
        bought = self.warehouses.external_deliveries(day, orders[~own])
        for arrival, group in bought.groupby("arrival"):
            self.pending_deliveries[arrival].append(group)
        made = self.plants.produce(day)
        rec.epcis = dict(made.events)
        rec.truth_flows.append(pd.DataFrame(made.flows, columns=FLOW_COLUMNS))
        rec.truth_transformations = made.transformations
        delivered = deliveries_frame(made.deliveries)
        for arrival, group in delivered.groupby("arrival"):
            self.pending_deliveries[arrival].append(group)


def _zfill(values: np.ndarray, width: int) -> np.ndarray:
    text = np.asarray(values).astype(str)
    return np.char.zfill(text, width) if text.size else text


def _join(*parts: str | np.ndarray) -> np.ndarray:
    """Element-wise concatenation of string arrays and constants (vectorised string building)."""
    result = np.asarray(parts[0]).astype(str)
    for part in parts[1:]:
        result = np.char.add(result, np.asarray(part).astype(str))
    return result
