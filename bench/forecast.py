"""What the stockout forecast costs per series, on this machine (printed, never asserted).

A synthetic panel of ``--stores`` × ``--products`` series and ``--days`` of recorded history
(negative binomial demand around a per-series rate with a weekly shape, promotions, stockout
spells censoring sales) goes through the job's own steps, without the warehouse:

* **training** (weekly): backtest of every candidate, model choice per segment, LightGBM fit;
* **daily scoring**: stockout detection, unconstraining, the series frame, the chosen models'
  14-day forecasts with quantiles, risk and order proposals, with the trained models;
* **seasonal naive** on the same frame in the same process: the baseline every figure is put
  against (``scoring / naive``).

Each step runs in a fresh process (forked) so its peak memory is its own.

    .venv/bin/python bench/forecast.py --stores 200 --products 2000      # 400,000 series (the issue's size)
    .venv/bin/python bench/forecast.py --stores 20 --products 200        # a quick look
    .venv/bin/python bench/forecast.py --stores 100 --products 1000 --train-series 20000
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time

import numpy as np
import pandas as pd

HISTORY_DAYS = 182


def synthetic_panel(stores: int, products: int, days: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History rows (the job's ``load_history`` columns plus ``discount_pct``) and the stock at the end."""
    rng = np.random.default_rng(seed)
    n = stores * products
    rate = np.exp(rng.normal(0.0, 1.2, n))  # from a few a month to dozens a day
    weekly = np.array([0.8, 0.85, 0.9, 1.0, 1.2, 1.5, 0.75])
    dates = pd.date_range("2025-01-01", periods=days, freq="D")
    expected = rate[:, None] * weekly[dates.day_of_week.to_numpy()][None, :]
    promoted = rng.random((n, days)) < 0.02
    promoted = promoted | np.roll(promoted, 1, axis=1) | np.roll(promoted, 2, axis=1)  # three-day promotions
    discount = np.where(promoted, 30.0, 0.0)
    expected = expected * np.where(promoted, 0.7**-2.5, 1.0)
    dispersion = 1.5
    demand = rng.negative_binomial(expected / (dispersion - 1), 1 / dispersion)
    empty = rng.random((n, days)) < 0.03  # a shelf empty that day: nothing sells, the records say 0
    sold = np.where(empty, 0, demand)
    on_hand = np.where(empty, 0, rng.poisson(np.maximum(expected * 4, 1)))
    store_ids = np.repeat([f"S{s:04d}" for s in range(stores)], products)
    gtins = np.tile([f"{p:014d}" for p in range(products)], stores)
    history = pd.DataFrame({
        "store_id": np.repeat(store_ids, days), "gtin": np.repeat(gtins, days), "date": np.tile(dates, n),
        "units_sold": sold.ravel(), "on_hand_qty": on_hand.ravel(), "discount_pct": discount.ravel(),
    })  # fmt: skip
    stock = pd.DataFrame({
        "store_id": store_ids, "gtin": gtins, "on_hand": on_hand[:, -1], "in_transit": 0,
        "pack_size": 6, "shelf_life_days": np.nan, "days_to_delivery": 2, "days_between_deliveries": 3,
    })  # fmt: skip
    return history, stock


def _frames(history: pd.DataFrame):
    from retail_factory.forecasting.detection import detect_stockouts
    from retail_factory.forecasting.models import series_frame
    from retail_factory.forecasting.unconstrain import promotion_elasticity, unconstrain_demand

    demand = unconstrain_demand(detect_stockouts(history))
    frame = series_frame(demand)
    promos = demand.loc[demand["discount_pct"] > 0, ["store_id", "gtin", "date", "discount_pct"]]
    promoted = pd.DataFrame({"unique_id": promos["store_id"] + "|" + promos["gtin"], "ds": promos["date"],
                             "discount_pct": promos["discount_pct"]})  # fmt: skip
    series = pd.Series(frame["unique_id"].unique())
    elasticity = series.str.split("|", n=1).str[1].map(promotion_elasticity(demand)).set_axis(series)
    return frame, promoted, elasticity


def train(history: pd.DataFrame, folder: str, sample: int | None = None) -> dict:
    from pathlib import Path

    from retail_factory.forecasting.models import train_models

    if sample:  # the global model learns from a random sample of series, then scores them all
        keys = history[["store_id", "gtin"]].drop_duplicates().sample(n=sample, random_state=0)
        history = history.merge(keys, on=["store_id", "gtin"])
    frame, promoted, elasticity = _frames(history)
    trained = train_models(frame, promotions=promoted, elasticity=elasticity)
    trained.save(Path(folder))
    return {"chosen": trained.chosen}


def score(history: pd.DataFrame, stock: pd.DataFrame, folder: str) -> dict:
    from pathlib import Path

    from retail_factory.forecasting.models import TrainedModels, forecast_with
    from retail_factory.forecasting.risk import stockout_risk

    frame, promoted, elasticity = _frames(history)
    forecast = forecast_with(TrainedModels.load(Path(folder)), frame, promotions=promoted, elasticity=elasticity)
    stock = stock.set_index(stock["store_id"] + "|" + stock["gtin"])
    risks = stockout_risk(forecast.values, stock)
    return {"series": int(forecast.values["unique_id"].nunique()), "at_risk": int((risks["p_stockout"] >= 0.5).sum())}


def seasonal_naive(history: pd.DataFrame) -> dict:
    from retail_factory.forecasting.models import series_frame
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive

    frame = series_frame(history.rename(columns={"units_sold": "demand"}))[["unique_id", "ds", "y"]]
    forecast = StatsForecast(models=[SeasonalNaive(7)], freq="D").forecast(df=frame, h=14)
    return {"series": int(forecast["unique_id"].nunique())}


def _child(queue, step, args) -> None:
    began = time.perf_counter()
    result = step(*args)
    seconds = time.perf_counter() - began
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, result))


def measured(step, *args) -> tuple[float, float, dict]:
    """Seconds, peak resident memory (MiB) and result of ``step`` run in a forked process."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, step, args))
    process.start()
    outcome = queue.get()
    process.join()
    return outcome


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--days", type=int, default=HISTORY_DAYS)
    parser.add_argument("--train-series", type=int, default=None, help="train on a random sample of this many series")
    args = parser.parse_args()

    began = time.perf_counter()
    history, stock = synthetic_panel(args.stores, args.products, args.days)
    n = args.stores * args.products
    print(f"{n:,} series × {args.days} days = {len(history):,} rows, made in {time.perf_counter() - began:.0f} s")
    with tempfile.TemporaryDirectory(prefix="retail-factory-bench-forecast-") as folder:
        naive_s, naive_mb, _ = measured(seasonal_naive, history)
        train_s, train_mb, trained = measured(train, history, folder, args.train_series)
        score_s, score_mb, scored = measured(score, history, stock, folder)
    print(f"models chosen: {trained['chosen']}; {scored['at_risk']:,} series at risk")
    print(f"{'step':<38}{'seconds':>9}{'series/s':>11}{'peak MiB':>10}{'x naive':>9}")
    for name, seconds, peak in (
        ("seasonal naive (baseline)", naive_s, naive_mb),
        (f"training (weekly) on {args.train_series or n:,} series", train_s, train_mb),
        ("daily scoring (risk, orders)", score_s, score_mb),
    ):
        print(f"{name:<38}{seconds:>9.1f}{n / seconds:>11,.0f}{peak:>10,.0f}{seconds / naive_s:>9.1f}")
    print(f"daily scoring {'within' if score_s < 600 else 'over'} the 10-minute aim ({score_s / 60:.1f} min)")


if __name__ == "__main__":
    main()
