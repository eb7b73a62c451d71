"""The forecasting job for one run date: read the marts, detect, unconstrain, forecast, judge the risk,
propose orders, and write the ``ml.*`` tables (``forecasting.outputs``) in one transaction.
The rows are computed a chunk of products at a time and go to Parquet parts on disk as they
are, so the run's memory is a chunk's, whatever the chain's size.

What happens to imperfect data (docs/architecture.md, "Stockout forecasting"):

* a **product delisted** (no stock record on the run date) is not forecast: nothing to order;
* a **store without a stock record on the run date** gets no risk and no order, and is named in
  ``ml.forecast_runs.stores_without_stock`` (stale stock would give wrong risks);
* a **product with little history** gets a fallback model (``models.forecast_with``); a series
  begins at its own first record, so a **store opening mid-history** has no invented zeros;
* **missing days** are filled with the series' mean on that weekday (``models.series_frame``);
* a **negative or missing stock record** counts as no stock (``stock_check`` ``negative`` or
  ``missing``); a stock record far above anything the series held before is **implausible**: its
  risk is computed as recorded but no order is proposed until the shelf is counted
  (``stock_check = implausible``);
* **net returns** above sales on a day count as no sale;
* **fresh units** count only for the demand they can meet before their best-before date
  (``expiry``); recorded fresh units that no receipt within the shelf life explains count as gone.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from retail_factory.forecasting import inputs, outputs
from retail_factory.forecasting.detection import detect_stockouts
from retail_factory.forecasting.engine import engine_session
from retail_factory.forecasting.expiry import batches_on_hand, usable_stock
from retail_factory.forecasting.models import (
    HORIZON_DAYS,
    Forecast,
    TrainedModels,
    forecast_with,
    series_frame,
    train_models,
)
from retail_factory.forecasting.risk import demand_over, stockout_risk
from retail_factory.forecasting.unconstrain import promotion_elasticity, unconstrain_demand
from retail_factory.warehouse.connections import OutputTable, Warehouse, get_warehouse, write_part

if TYPE_CHECKING:
    from retail_factory.forecasting.trained_store import BlobModelStore

log = logging.getLogger(__name__)

SCORING_CHUNK_SERIES = 50_000  # series scored together (about 65 KiB of memory each)
TRAINING_SERIES = 20_000  # the most series a training learns from: a random sample of products beyond
IMPLAUSIBLE_FACTOR = 10  # a stock record above 10x the series' highest of the previous 8 weeks
PLAUSIBLE_WEEKS = 8


@dataclass(frozen=True)
class ForecastRun:
    as_of: dt.date
    tables: dict[str, OutputTable]  # qualified ml table -> its rows for the date, in Parquet parts on disk
    summary: dict[str, object]  # the ml.forecast_runs row, dates as ISO text

    def rows(self, name: str) -> pd.DataFrame:
        """The rows of ``ml.<name>`` read back from its parts, in the table's order (a small run's)."""
        rows = self.tables[f"{outputs.SCHEMA}.{name}"].rows()
        return rows.sort_values(_ORDER[name], ignore_index=True, kind="stable") if name in _ORDER else rows


def run_forecast(
    as_of: dt.date,
    warehouse: Warehouse | None = None,
    service_level: float | None = None,
    store: BlobModelStore | None = None,
    retrain: bool = False,
) -> dict[str, object]:
    """Compute the run for ``as_of`` and write it (replacing that date's rows); return its summary.

    With a ``store``, the latest models trained within a week are reused (``trained_store``), and
    new ones trained and stored when there are none or ``retrain``; without, it trains every time.
    """
    from retail_factory.config import get_settings

    warehouse = warehouse or get_warehouse()
    level = service_level if service_level is not None else get_settings().service_level
    if not 0.5 <= level < 1:
        raise ValueError(f"the service level is {level}; it must be a share between 0.5 and 1 (e.g. 0.975)")
    with tempfile.TemporaryDirectory(prefix="retail-factory-forecast-") as folder:
        run = compute_forecast(as_of, warehouse, level, Path(folder), store, retrain)
        warehouse.replace_rows(run.tables, outputs.KEY_COLUMN, as_of)
    log.info("forecast for %s written: %s", as_of, run.summary)
    return run.summary


def compute_forecast(
    as_of: dt.date,
    warehouse: Warehouse,
    service_level: float,
    folder: Path,
    store: BlobModelStore | None = None,
    retrain: bool = False,
) -> ForecastRun:
    """The run for ``as_of``, its rows written to Parquet parts in ``folder`` a chunk at a time."""
    stock = inputs.load_stock(as_of, warehouse=warehouse)
    schedule = inputs.delivery_schedule(as_of, warehouse=warehouse)
    stores_without_stock = sorted(set(schedule["store_id"]) - set(stock["store_id"])) if len(schedule) else []
    if stores_without_stock:
        log.warning("no stock record on %s for stores %s: no risk, no order for them", as_of, stores_without_stock)
    parts = _Parts(folder)
    if stock.empty:
        log.warning("nothing to forecast for %s: no stock records in the marts", as_of)
        empty = outputs.empty_tables()
        parts.write(empty)
        return parts.run(as_of, outputs.run_row(as_of, outputs.chunk_facts(empty), stores_without_stock, service_level))

    with engine_session():
        trained = store.latest(as_of) if store is not None and not retrain else None
        if trained is None:
            trained = _train(as_of, warehouse, stock)
            if store is not None:
                log.info("models trained on the history up to %s stored in %s", as_of, store.save(trained))
        # Only what is listed on the run date is forecast, a chunk of products at a time: memory grows
        # with the series held together, and every per-product figure (spread, elasticity) stays whole.
        # Each chunk's rows go to disk as it is scored; only its counts stay in memory.
        facts: dict[str, Any] = {}
        for gtins in _chunks(stock):
            tables, counts = _score(as_of, warehouse, stock, schedule, trained, gtins, service_level)
            parts.write(tables)
            chunk = outputs.chunk_facts(tables) | counts
            facts = outputs.combine_facts(facts, chunk) if facts else chunk
    facts |= {"chosen": trained.chosen, "backtest": _mean_scores(trained.backtest),
              "models_trained_on": trained.trained_on.date()}  # fmt: skip
    return parts.run(as_of, outputs.run_row(as_of, facts, stores_without_stock, service_level))


class _Parts:
    """The run's Parquet parts in ``folder``: ``<table>/part-<n>.parquet``, a chunk each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: dict[str, list[Path]] = {}

    def write(self, tables: dict[str, pd.DataFrame]) -> None:
        for name, rows in tables.items():
            qualified = f"{outputs.SCHEMA}.{name}"
            paths = self.written.setdefault(qualified, [])
            path = self.folder / name / f"part-{len(paths):05d}.parquet"
            paths.append(write_part(outputs.TABLES[qualified], rows, path))

    def run(self, as_of: dt.date, run_row: pd.DataFrame) -> ForecastRun:
        self.write({"forecast_runs": run_row})
        tables = {name: OutputTable(outputs.TABLES[name], tuple(paths)) for name, paths in self.written.items()}
        summary = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in run_row.iloc[0].to_dict().items()}
        return ForecastRun(as_of, tables, summary)


def _chunks(stock: pd.DataFrame) -> list[list[str]]:
    """The listed GTINs in groups of at most ``SCORING_CHUNK_SERIES`` series (a product's stores together)."""
    per_product = stock.groupby("gtin").size().sort_index()
    groups = (per_product.cumsum() - 1) // SCORING_CHUNK_SERIES
    return [list(gtins.index) for _, gtins in per_product.groupby(groups.to_numpy())]


def _train(as_of: dt.date, warehouse: Warehouse, stock: pd.DataFrame) -> TrainedModels:
    """Models trained on the history up to ``as_of``: of every listed series, or of a random sample
    of products holding about ``TRAINING_SERIES`` of them (the global model learns across series;
    its cost grows with their number, its accuracy hardly beyond some tens of thousands)."""
    per_product = stock.groupby("gtin").size()
    gtins = None
    if len(stock) > TRAINING_SERIES:
        shuffled = per_product.sample(frac=1.0, random_state=0)
        gtins = list(shuffled.index[shuffled.cumsum() <= TRAINING_SERIES]) or list(shuffled.index[:1])
    demand, promotions = unconstrained_history(as_of, warehouse, listed_only=True, gtins=gtins)
    frame, promoted, elasticity = model_inputs(demand, promotions, as_of)
    return train_models(frame, promotions=promoted, elasticity=elasticity)


def _score(
    as_of: dt.date,
    warehouse: Warehouse,
    stock: pd.DataFrame,
    schedule: pd.DataFrame,
    trained: TrainedModels,
    gtins: list[str],
    service_level: float,
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """One chunk of products: its tables and its counts."""
    stock = stock[stock["gtin"].isin(gtins)]
    demand, promotions = unconstrained_history(as_of, warehouse, listed_only=True, gtins=gtins)
    if demand.empty:
        return outputs.empty_tables(), dict.fromkeys(_CHUNK_COUNTS, 0)
    frame, _, values, _ = forecast_from(demand, promotions, as_of, trained)
    receipts = inputs.load_receipts(as_of, warehouse=warehouse, gtins=gtins)
    risks = _risks(_checked_stock(stock, demand, as_of), schedule, values, receipts, as_of, service_level)
    tables = {
        "demand_forecasts": outputs.demand_forecast_rows(values, as_of),
        "stockout_risks": outputs.stockout_risk_rows(risks, as_of),
        "order_proposals": outputs.order_proposal_rows(risks, as_of, service_level),
        "detected_stockouts": outputs.detected_stockout_rows(demand, as_of),
    }
    counts = {
        "series": int(values["unique_id"].nunique()),
        "imputed_days": int(frame["imputed"].sum()),
        "stockout_days": int(demand["is_stockout"].sum()),
        "unconstrained_days": int(demand["is_unconstrained"].sum()),
        "fallback_series": int(values.loc[values["fallback"], "unique_id"].nunique()),
        "history_days": int(demand["date"].nunique()),
    }
    return tables, counts


_ORDER = {
    "demand_forecasts": ["store_id", "gtin", "forecast_date"],
    "stockout_risks": ["store_id", "gtin"],
    "order_proposals": ["store_id", "gtin"],
    "detected_stockouts": ["store_id", "gtin", "stockout_date"],
}
_CHUNK_COUNTS = ("series", "imputed_days", "stockout_days", "unconstrained_days", "fallback_series", "history_days")


def model_inputs(
    demand: pd.DataFrame, promotions: pd.DataFrame, as_of: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """What the models take from an unconstrained history: the series frame, the promoted days and
    each series' promotion elasticity."""
    frame = series_frame(demand, end=pd.Timestamp(as_of))
    promoted = _promoted_days(promotions, frame)
    series = pd.Series(frame["unique_id"].unique())
    elasticity = series.str.split("|", n=1).str[1].map(promotion_elasticity(demand)).set_axis(series)
    return frame, promoted, elasticity


def forecast_from(
    demand: pd.DataFrame, promotions: pd.DataFrame, as_of: dt.date, trained: TrainedModels | None = None
) -> tuple[pd.DataFrame, Forecast, pd.DataFrame, TrainedModels]:
    """The forecast of an unconstrained history (``prepare_history``): the models' frame, the
    forecast, its values keyed by store and GTIN with the day's promotion, and the models used
    (``trained``, or trained now on the history when none is given)."""
    frame, promoted, elasticity = model_inputs(demand, promotions, as_of)
    if trained is None:
        trained = train_models(frame, promotions=promoted, elasticity=elasticity)
    forecast = forecast_with(trained, frame, promotions=promoted, elasticity=elasticity)
    values = _with_keys(forecast.values).merge(promoted, on=["unique_id", "ds"], how="left")
    return frame, forecast, values, trained


def prepare_history(history: pd.DataFrame, promotions: pd.DataFrame) -> pd.DataFrame:
    """Recorded history (``inputs.load_history`` columns) with its stockouts flagged and demand
    unconstrained, promoted days marked; net returns above sales count as no sale."""
    history = history.assign(units_sold=history["units_sold"].clip(lower=0))
    history = history.merge(promotions, on=["store_id", "gtin", "date"], how="left")
    return unconstrain_demand(detect_stockouts(history)) if len(history) else history


def unconstrained_history(
    as_of: dt.date, warehouse: Warehouse, listed_only: bool = False, gtins: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The history up to ``as_of`` with its stockouts flagged and demand unconstrained, and the
    promotions (past and ahead) it was read with. ``listed_only``: only the series with a stock
    record on ``as_of``; ``gtins``: only these products (both selected in the warehouse)."""
    history = inputs.load_history(as_of, warehouse=warehouse, gtins=gtins, listed_only=listed_only)
    promotions = inputs.load_promotions(as_of, warehouse=warehouse, gtins=gtins)
    return prepare_history(history, promotions), promotions


def _promoted_days(promotions: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The promotions of the forecast series, keyed like the models' frame (``unique_id``, ``ds``)."""
    keyed = promotions.assign(unique_id=promotions["store_id"].astype(str) + "|" + promotions["gtin"].astype(str))
    keyed = keyed[keyed["unique_id"].isin(frame["unique_id"].unique())]
    return keyed.assign(ds=pd.to_datetime(keyed["date"]))[["unique_id", "ds", "discount_pct"]]


def _mean_scores(backtest: pd.DataFrame) -> dict[str, float]:
    scores = backtest.drop(columns=["unique_id", "segment"], errors="ignore")
    return {model: round(float(score), 4) for model, score in scores.mean().items()}


def _with_keys(values: pd.DataFrame) -> pd.DataFrame:
    keys = values["unique_id"].str.split("|", n=1, expand=True)
    return values.assign(store_id=keys[0], gtin=keys[1])


def _checked_stock(stock: pd.DataFrame, history: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """``stock`` with ``stock_check``: ok, missing or negative (counted as none), implausible, phantom_suspected."""
    day = pd.Timestamp(as_of)
    before = history[(history["date"] < day) & (history["date"] >= day - pd.Timedelta(weeks=PLAUSIBLE_WEEKS))]
    highest = before.groupby(["store_id", "gtin"])["on_hand_qty"].max().rename("highest_before")
    phantom = history.loc[(history["date"] == day) & history["is_phantom_stock"], ["store_id", "gtin"]]
    phantom = phantom.assign(phantom=True)
    out = stock.merge(highest, on=["store_id", "gtin"], how="left").merge(phantom, on=["store_id", "gtin"], how="left")
    implausible = (out["highest_before"] > 0) & (out["on_hand"] > IMPLAUSIBLE_FACTOR * out["highest_before"])
    out["stock_check"] = np.select(
        [out["on_hand"].isna(), out["on_hand"] < 0, implausible, out["phantom"].fillna(False).astype(bool)],
        ["missing", "negative", "implausible", "phantom_suspected"],
        "ok",
    )
    out["on_hand"] = out["on_hand"].fillna(0)
    return out.drop(columns=["highest_before", "phantom"])


def _risks(
    stock: pd.DataFrame,
    schedule: pd.DataFrame,
    values: pd.DataFrame,
    receipts: pd.DataFrame,
    as_of: dt.date,
    service_level: float,
) -> pd.DataFrame:
    merged = stock.merge(schedule, on="store_id", how="left")
    merged["unique_id"] = merged["store_id"].astype(str) + "|" + merged["gtin"].astype(str)
    merged = merged.set_index("unique_id")
    usable = usable_stock(values, merged["on_hand"], batches_on_hand(merged, receipts, as_of), HORIZON_DAYS)
    risks = stockout_risk(values, merged, service_level, usable)
    risks["expected_demand"] = demand_over(values, risks["days_to_delivery"])["mean"]
    days = risks["days_to_delivery"].fillna(0).clip(0, HORIZON_DAYS).astype(int).to_numpy()
    lasting = usable.reindex(risks.index).to_numpy()[np.arange(len(risks)), days]
    risks["expiring_qty"] = (risks["on_hand"].clip(lower=0) - lasting).clip(lower=0)
    risks["model"] = values.groupby("unique_id")["model"].first().reindex(risks.index)
    risks["capped_by_shelf_life"] = _capped(risks)
    # A stock record nobody believes is not a basis for an order: count the shelf first.
    risks["recommended_order_qty"] = risks["recommended_order_qty"].where(risks["stock_check"] != "implausible")
    return risks.reset_index()


def _capped(risks: pd.DataFrame) -> pd.Series:
    """Whether the shelf-life cap lowered the order (the uncapped need exceeds what sells in time)."""
    available = risks["on_hand"].clip(lower=0) + risks["in_transit"].clip(lower=0)
    uncapped = (risks["order_up_to"] - available).clip(lower=0)
    return risks["shelf_life_days"].notna() & (risks["recommended_order_qty"] < uncapped)
