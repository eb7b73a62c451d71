"""Replenishment replay: the simulator's stores ordering with the job's proposals, against their own policy.

A simulated chain runs ``warmup_days`` with the stores' own ordering (an order-up-to on smoothed
sales, the simulator's policy), then splits in two identical copies (same state, same random
stream) for ``days`` more: one keeps its policy, the other orders what the forecasting job
proposes on each order day, after counting the shelves the job suspects of phantom stock (the
store's own policy counts a product about every 60 days, at random). Both then face the same
shoppers. Compared: the out-of-stock rate (open store × product days the shelf was empty at
opening), the days with demand lost, and the average stock on hand at closing (the cost side).
The job sees only what a store records: its sales, its recorded stock and what it has on order,
and the promotions announced.

Why by hand: no library replays an ordering policy in this simulator; the forecasting itself is
the job's own code (``job.prepare_history``, ``job.forecast_from``, ``risk.stockout_risk``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from retail_factory.forecasting.engine import engine_session
from retail_factory.forecasting.expiry import batches_on_hand, usable_stock
from retail_factory.forecasting.job import forecast_from, prepare_history
from retail_factory.forecasting.models import HORIZON_DAYS
from retail_factory.forecasting.risk import SERVICE_LEVEL, stockout_risk

RETRAIN_DAYS = 7


@dataclass(frozen=True)
class PolicyResult:
    out_of_stock_rate: float  # open series-days empty at opening
    lost_demand_rate: float  # open series-days with demand above sales
    units_lost_share: float  # lost units over demand
    mean_stock: float  # units on hand at closing, per series and day
    waste_units: int
    units_ordered: int


@dataclass(frozen=True)
class Replay:
    series: int
    warmup_days: int
    days: int
    own: PolicyResult
    proposals: PolicyResult
    service_level: float
    trainings: int = field(default=0)
    counts: int = field(default=0)  # shelves the proposals' stores counted on the job's advice

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def replay_truth(truth_dir: Path, days: int = 28, service_level: float = SERVICE_LEVEL) -> Replay:
    """Replay the last ``days`` of the simulation whose truth is in ``truth_dir`` (same world, same shoppers)."""
    manifest = json.loads((Path(truth_dir) / "manifest.json").read_text())
    if not 0 < days < manifest["days"]:
        raise ValueError(f"the replay needs 1 to {manifest['days'] - 1} days of the {manifest['days']} simulated")
    if not 0.5 <= service_level < 1:
        raise ValueError(f"the service level is {service_level}; it must be a share between 0.5 and 1 (e.g. 0.975)")
    return replay(
        manifest["stores"], manifest["products"], manifest["days"] - days, days, manifest["seed"],
        dt.date.fromisoformat(manifest["start"]), service_level,
    )  # fmt: skip


def replay(
    stores: int = 5,
    products: int = 60,
    warmup_days: int = 84,
    days: int = 28,
    seed: int = 11,
    start: dt.date = dt.date(2025, 3, 3),
    service_level: float = SERVICE_LEVEL,
    count_suspected: bool = True,
) -> Replay:
    """The chain ``retail-factory simulate`` makes with these parameters, split after ``warmup_days``.

    ``count_suspected``: the proposals' stores also count the shelves the job suspects of phantom
    stock before they order (the job's advice is the orders *and* the stock records to check).
    """
    from retail_factory.sources.simulator import BURN_IN_DAYS
    from retail_factory.sources.simulator.engine import ChainSimulator
    from retail_factory.sources.simulator.world import build_world

    rng = np.random.default_rng(seed)  # drawn in the order `simulate` draws: the same world and shoppers
    world = build_world(stores, products, rng)
    first = start - dt.timedelta(days=BURN_IN_DAYS)
    chain = ChainSimulator(world, rng, first)
    for offset in range(BURN_IN_DAYS):
        chain.step(first + dt.timedelta(days=offset))
    history, receipts = [], []
    for offset in range(warmup_days):
        record = chain.step(start + dt.timedelta(days=offset))
        history.append(_recorded(record, world))
        receipts.append(_received(record, world))
    own, ours = chain, copy.deepcopy(chain)
    policy = ProposalPolicy(ours, history, service_level, count_suspected, receipts)
    ours.shelves.orders = policy.orders  # the stores of this copy order what the job proposes
    outcomes: dict[str, list[pd.DataFrame]] = {"own": [], "proposals": []}
    ordered = {"own": 0, "proposals": 0}
    with engine_session():  # one Spark session for the days' forecasts, when the engine is Spark
        for offset in range(warmup_days, warmup_days + days):
            day = start + dt.timedelta(days=offset)
            for name, simulator in (("own", own), ("proposals", ours)):
                record = simulator.step(day)
                outcomes[name].append(record.truth_series)
                ordered[name] += int(record.store_orders["quantity"].sum()) if record.store_orders is not None else 0
                if name == "proposals":
                    policy.history.append(_recorded(record, world))
                    policy.receipts.append(_received(record, world))
    return Replay(
        series=world.n_series,
        warmup_days=warmup_days,
        days=days,
        own=_judge(outcomes["own"], ordered["own"]),
        proposals=_judge(outcomes["proposals"], ordered["proposals"]),
        service_level=service_level,
        trainings=policy.trainings,
        counts=policy.counts,
    )


class ProposalPolicy:
    """``StoreShelves.orders`` for a copy of the chain: the job's order proposals on each order day."""

    def __init__(
        self,
        chain,
        history: list[pd.DataFrame],
        service_level: float,
        count_suspected: bool = True,
        receipts: list[pd.DataFrame] | None = None,
    ) -> None:
        self.chain = chain
        self.world = chain.world
        self.history = list(history)
        self.receipts = list(receipts or [])  # what the store booked in, with best-before dates
        self.service_level = service_level
        self.trained = None
        self.trainings = 0
        self.count_suspected = count_suspected
        self.counts = 0

    def orders(self, day: dt.date, open_stores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from retail_factory.sources.simulator.world import weekday_code

        shelves, world = self.chain.shelves, self.world
        code = weekday_code(day)
        ordering = np.array([code in days for days in shelves.order_days]) & open_stores
        series = np.flatnonzero(ordering[world.series_store])
        if len(series) == 0:
            return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
        quantity = self._proposals(day, series)
        keep = quantity > 0
        series, quantity = series[keep], quantity[keep].astype(np.int64)
        shelves.on_order[series] += quantity
        return series, quantity

    def _proposals(self, day: dt.date, series: np.ndarray) -> np.ndarray:
        """Recommended quantities of ``series`` ordered at the end of ``day`` (forecast from yesterday)."""
        shelves, world = self.chain.shelves, self.world
        as_of = day - dt.timedelta(days=1)
        demand = prepare_history(pd.concat(self.history, ignore_index=True), self._promotions(day))
        if self.count_suspected:
            self._count(demand, as_of, series)
        stale = self.trained is None or (pd.Timestamp(as_of) - self.trained.trained_on).days >= RETRAIN_DAYS
        _, _, values, trained = forecast_from(demand, self._promotions(day), as_of, None if stale else self.trained)
        if stale:
            self.trained, self.trainings = trained, self.trainings + 1
        values = values[values["ds"] > pd.Timestamp(day)]  # today is traded: from tomorrow on
        review = np.array([_days_to_next_order(day, days) for days in shelves.order_days])
        store = world.series_store[series]
        perishable = shelves.perishable[series]
        stock = pd.DataFrame(
            {
                "on_hand": shelves.recorded[series],
                "in_transit": shelves.on_order[series],
                "pack_size": shelves.case[series],
                "shelf_life_days": np.where(perishable, shelves.shelf_life[series], np.nan),
                "days_to_delivery": shelves.lead_days[store] - 1,
                "days_between_deliveries": review[store],
            },
            index=_keys(world, series),
        )
        received = pd.concat(self.receipts, ignore_index=True) if self.receipts else None
        batches = batches_on_hand(stock, received, day) if received is not None else None
        usable = None if batches is None else usable_stock(values, stock["on_hand"], batches, HORIZON_DAYS)
        risks = stockout_risk(values, stock, self.service_level, usable)
        return risks["recommended_order_qty"].fillna(0).to_numpy()

    def _count(self, demand: pd.DataFrame, as_of: dt.date, series: np.ndarray) -> None:
        """Before ordering, the store counts the shelves of ``series`` the job lists as phantom
        stock (``stock_check = phantom_suspected``) and books what it finds, as the runbook asks."""
        shelves = self.chain.shelves
        flagged = demand[(demand["date"] == pd.Timestamp(as_of)) & demand["is_phantom_stock"]]
        keys = set(flagged["store_id"].astype(str) + "|" + flagged["gtin"].astype(str))
        ids = _keys(self.world, series)
        counted = series[np.fromiter((k in keys for k in ids), dtype=bool, count=len(ids))]
        shelves.recorded[counted] = shelves.physical[counted]
        self.counts += len(counted)

    def _promotions(self, day: dt.date) -> pd.DataFrame:
        """Announced promotions per store, product and day, as ``inputs.load_promotions`` gives them."""
        world = self.world
        formats = world.stores["format"].to_numpy()
        rows = []
        for promotion in self.chain.demand.promotions_seen:
            if promotion.announced_on > day:
                continue
            stores = [s for s in range(len(formats)) if promotion.store_format in ("all", formats[s])]
            for date in pd.date_range(promotion.start, promotion.end):
                rows.extend((_store_id(world, s), _gtin(world, promotion.product), date, promotion.discount * 100)
                            for s in stores)  # fmt: skip
        frame = pd.DataFrame(rows, columns=["store_id", "gtin", "date", "discount_pct"])
        return frame.groupby(["store_id", "gtin", "date"], as_index=False)["discount_pct"].max()


def _recorded(record, world) -> pd.DataFrame:
    """What the store records of a day, as ``inputs.load_history`` reads it from the marts."""
    truth = record.truth_series
    return pd.DataFrame(
        {
            "store_id": truth["store_gln"].astype(str),
            "gtin": truth["gtin"].astype(str),
            "date": pd.Timestamp(record.day),
            "units_sold": truth["sales"].to_numpy(),
            "on_hand_qty": truth["recorded_close"].to_numpy(),
            "previous_on_hand_qty": truth["recorded_open"].to_numpy(),
            "received_qty": truth["received_recorded"].to_numpy(),
        }
    )


def _received(record, world) -> pd.DataFrame:
    """What the store booked in on a day, as ``inputs.load_receipts`` reads it from the marts."""
    receipts = record.receipts
    if receipts is None or receipts.empty:
        return pd.DataFrame(columns=["unique_id", "received_date", "received_qty", "best_before_date"])
    return pd.DataFrame(
        {
            "unique_id": _keys(world, receipts["series"].to_numpy(dtype=np.int64)),
            "received_date": pd.Timestamp(record.day),
            "received_qty": receipts["quantity"].to_numpy(dtype=np.int64),
            "best_before_date": pd.to_datetime(receipts["best_before"]),
        }
    )


def _judge(days: list[pd.DataFrame], units_ordered: int) -> PolicyResult:
    truth = pd.concat(days, ignore_index=True)
    open_days = truth[truth["is_store_open"]]
    return PolicyResult(
        out_of_stock_rate=float((~open_days["is_available"]).mean()),
        lost_demand_rate=float(open_days["is_stockout"].mean()),
        units_lost_share=float(open_days["lost_sales"].sum() / max(open_days["demand"].sum(), 1)),
        mean_stock=float(truth["physical_close"].mean()),
        waste_units=int(truth["waste"].sum()),
        units_ordered=units_ordered,
    )


def _keys(world, series: np.ndarray) -> pd.Index:
    return pd.Index([f"{_store_id(world, s)}|{_gtin(world, p)}" for s, p in
                     zip(world.series_store[series], world.series_product[series], strict=True)])  # fmt: skip


def _store_id(world, store: int) -> str:
    return str(world.stores["store_gln"].to_numpy()[store])


def _gtin(world, product: int) -> str:
    return str(world.products["gtin"].to_numpy()[product])


def _days_to_next_order(day: dt.date, order_days: set[str]) -> int:
    from retail_factory.sources.simulator.stores import _days_to_next_order as next_order

    return next_order(day, order_days)
