"""What the stockout forecast costs on this machine (printed, never asserted).

Synthetic marts for ``--stores`` × ``--products`` series and ``--days`` of history go into a
DuckDB warehouse (only the columns the job reads; negative binomial demand around a per-series
rate with a weekly shape, three-day promotions announced ahead, shelves empty on some days, a
fifth of the products fresh with a delivery every third day and a week's shelf life), then
the job runs on them as in the DAG, each step in a fresh process so its peak memory is its own:

* **seasonal naive**: the baseline, on the same history read the same way, by the same chunks;
* **training** (weekly): backtest, model choice per segment and LightGBM fit, on a sample of
  products holding at most ``TRAINING_SERIES`` series;
* **daily scoring**: ``compute_forecast`` with those models: history read by chunks of products,
  stockout detection, unconstraining, forecasts with quantiles, risk and order proposals.

    .venv/bin/python bench/forecast.py --stores 200 --products 2000      # 400,000 series (the issue's size)
    .venv/bin/python bench/forecast.py --stores 20 --products 200        # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HISTORY_DAYS = 182
FRESH_SHARE, FRESH_DAYS, FRESH_LIFE_DAYS = 0.2, 60, 7  # fresh products, their days of receipts, shelf life
AS_OF = dt.date(2025, 6, 30)


def write_marts(path: Path, stores: int, products: int, days: int, seed: int = 0) -> int:
    """Synthetic marts in a DuckDB file, written a store at a time; returns the rows of history."""
    import duckdb

    rng = np.random.default_rng(seed)
    dates = pd.date_range(end=pd.Timestamp(AS_OF), periods=days, freq="D")
    weekly = np.array([0.8, 0.85, 0.9, 1.0, 1.2, 1.5, 0.75])[dates.day_of_week.to_numpy()]
    gtins = np.array([f"{p:014d}" for p in range(products)])
    product_rate = np.exp(rng.normal(-0.3, 1.1, products))
    promoted = np.zeros((products, days), dtype=bool)  # three-day promotions, the same in every store
    starts = rng.random((products, days)) < 0.01
    for shift in range(3):
        promoted |= np.roll(starts, shift, axis=1)
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_inventory_daily (store_id varchar, gtin varchar, snapshot_date date,"
        " on_hand_qty integer, previous_on_hand_qty integer, received_qty integer)"
    )
    con.execute(
        "create table marts.fct_sales_daily (store_id varchar, gtin varchar, sold_date date, units_sold integer)"
    )
    con.execute(
        "create table marts.fct_receipts (shipment_id varchar, shipment_line integer, store_id varchar,"
        " gtin varchar, received_qty integer, received_date date, best_before_date date)"
    )
    fresh = rng.random(products) < FRESH_SHARE
    delivered = dates[-FRESH_DAYS::3]
    rows = 0
    for store in range(stores):
        rate = product_rate * np.exp(rng.normal(0, 0.5))
        expected = rate[:, None] * weekly[None, :] * np.where(promoted, 0.7**-2.5, 1.0)
        demand = rng.negative_binomial(expected / 0.5, 1 / 1.5)  # variance 1.5x the mean
        empty = rng.random((products, days)) < 0.03
        sold = np.where(empty, 0, demand)
        on_hand = np.where(empty, 0, rng.poisson(np.maximum(expected * 4, 1)))
        history = pd.DataFrame({
            "store_id": f"S{store:04d}", "gtin": np.repeat(gtins, days), "snapshot_date": np.tile(dates, products),
            "on_hand_qty": on_hand.ravel(), "previous_on_hand_qty": np.roll(on_hand, 1, axis=1).ravel(),
            "received_qty": 0, "units_sold": sold.ravel(),
        })  # fmt: skip
        con.execute("insert into marts.fct_inventory_daily select store_id, gtin, snapshot_date, on_hand_qty,"
                    " previous_on_hand_qty, received_qty from history")  # fmt: skip
        con.execute("insert into marts.fct_sales_daily select store_id, gtin, snapshot_date, units_sold from history"
                    " where units_sold > 0")  # fmt: skip
        rows += len(history)
        received = pd.DataFrame({
            "store_id": f"S{store:04d}", "gtin": np.repeat(gtins[fresh], len(delivered)),
            "received_date": np.tile(delivered, fresh.sum()),
            "received_qty": np.repeat(np.ceil(rate[fresh] * 3).astype(int) + 1, len(delivered)),
        })  # fmt: skip
        received["best_before_date"] = received["received_date"] + pd.Timedelta(days=FRESH_LIFE_DAYS)
        con.execute("insert into marts.fct_receipts select 'SH', 1, store_id, gtin, received_qty, received_date,"
                    " best_before_date from received")  # fmt: skip
    promotions = [(f"P{p}-{d}", gtins[p], dates[d].date(), (dates[d] + pd.Timedelta(days=2)).date())
                  for p, d in zip(*np.nonzero(starts), strict=True)]  # fmt: skip
    promo_frame = pd.DataFrame(promotions, columns=["promo_id", "gtin", "start_date", "end_date"])
    promo_frame["announced_on"] = promo_frame["start_date"] - pd.Timedelta(days=7)
    con.register("promo_frame", promo_frame)
    con.execute(
        "create table marts.fct_promotions as select promo_id, gtin, 'all' as store_format, start_date, end_date,"
        " 30.0 as discount_pct, cast(announced_on as date) as announced_on from promo_frame"
    )
    catalog = pd.DataFrame({"gtin": gtins, "case_size": 6, "is_fresh": fresh,
                            "shelf_life_days": np.where(fresh, FRESH_LIFE_DAYS, 365)})  # fmt: skip
    con.register("products_frame", catalog)
    con.execute("create table marts.dim_products as select * from products_frame")
    con.execute(
        "create table marts.dim_stores as select 'S' || lpad(cast(i as varchar), 4, '0') as store_id,"
        f' \'["MON","WED","FRI"]\' as order_days, \'hyper\' as store_format from range({stores}) as r(i)'
    )
    for empty_table in (
        "fct_shipments (shipment_id varchar, shipment_line integer, store_id varchar, gtin varchar,"
        " shipped_qty integer, shipped_date date)",
        "fct_lead_times (flow varchar, receiver_id varchar, lead_time_days integer, received_date date)",
        "fct_store_orders (store_id varchar, requested_lead_time_days integer, ordered_date date)",
    ):
        con.execute(f"create table marts.{empty_table}")
    con.close()
    return rows


def seasonal_naive(path: Path) -> dict:
    """Seasonal naive on the recorded sales, read by the job's chunks of products."""
    from retail_factory.forecasting import inputs, job
    from retail_factory.forecasting.models import series_frame
    from retail_factory.warehouse.connections import DuckDBWarehouse
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive

    warehouse = DuckDBWarehouse(path)
    series = 0
    for gtins in job._chunks(inputs.load_stock(AS_OF, warehouse=warehouse)):
        history = inputs.load_history(AS_OF, warehouse=warehouse, gtins=gtins)
        frame = series_frame(history.rename(columns={"units_sold": "demand"}))[["unique_id", "ds", "y"]]
        forecast = StatsForecast(models=[SeasonalNaive(7)], freq="D").forecast(df=frame, h=14)
        series += forecast["unique_id"].nunique()
    return {"series": int(series)}


def train(path: Path, folder: Path) -> dict:
    from retail_factory.forecasting import inputs, job
    from retail_factory.warehouse.connections import DuckDBWarehouse

    warehouse = DuckDBWarehouse(path)
    trained = job._train(AS_OF, warehouse, inputs.load_stock(AS_OF, warehouse=warehouse))
    trained.save(folder)
    return {"chosen": trained.chosen, "series": len(trained.backtest)}


class _Kept:
    """A model store holding the models the training step saved."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def latest(self, as_of: dt.date):
        from retail_factory.forecasting.models import TrainedModels

        return TrainedModels.load(self.folder)


def score(path: Path, folder: Path) -> dict:
    from retail_factory.forecasting.job import compute_forecast
    from retail_factory.warehouse.connections import DuckDBWarehouse

    with tempfile.TemporaryDirectory(prefix="bench-forecast-") as parts:
        run = compute_forecast(AS_OF, DuckDBWarehouse(path), 0.975, Path(parts), store=_Kept(folder))
    return {"series": run.summary["series"], "at_risk": run.summary["series_at_risk"]}


def _child(queue, step, args) -> None:
    began = time.perf_counter()
    result = step(*args)
    seconds = time.perf_counter() - began
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, result))


def measured(step, *args) -> tuple[float, float, dict]:
    """Seconds, peak resident memory (MiB) and result of ``step`` run in a fresh (forked) process."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, step, args))
    process.start()
    outcome = queue.get()
    process.join()
    return outcome


def main() -> None:
    from retail_factory.forecasting.job import SCORING_CHUNK_SERIES, TRAINING_SERIES

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--days", type=int, default=HISTORY_DAYS)
    args = parser.parse_args()
    n = args.stores * args.products

    with tempfile.TemporaryDirectory(prefix="retail-factory-bench-forecast-") as tmp:
        path, folder = Path(tmp) / "warehouse.duckdb", Path(tmp) / "models"
        began = time.perf_counter()
        rows = write_marts(path, args.stores, args.products, args.days)
        seconds = time.perf_counter() - began
        print(f"{n:,} series × {args.days} days = {rows:,} rows of history, written in {seconds:.0f} s")
        naive_s, naive_mb, _ = measured(seasonal_naive, path)
        train_s, train_mb, trained = measured(train, path, folder)
        score_s, score_mb, scored = measured(score, path, folder)
    print(f"models chosen: {trained['chosen']}; {scored['series']:,} series scored, {scored['at_risk']:,} at risk")
    print(f"chunks of at most {SCORING_CHUNK_SERIES:,} series; training on {trained['series']:,} series "
          f"(at most {TRAINING_SERIES:,})")  # fmt: skip
    print(f"{'step':<30}{'seconds':>9}{'series/s':>11}{'peak MiB':>10}{'x naive':>9}")
    for name, seconds, peak, count in (
        ("seasonal naive (baseline)", naive_s, naive_mb, n),
        ("training (weekly)", train_s, train_mb, trained["series"]),
        ("daily scoring (risk, orders)", score_s, score_mb, n),
    ):
        print(f"{name:<30}{seconds:>9.1f}{count / seconds:>11,.0f}{peak:>10,.0f}{seconds / naive_s:>9.1f}")
    print(f"daily scoring {'within' if score_s < 600 else 'over'} the 10-minute aim ({score_s / 60:.1f} min)")


if __name__ == "__main__":
    main()
