"""Past stockouts per store, product and day: from the recorded stock, and from sales alone.

Sales on a day the shelf was empty understate demand, so the forecaster must know those days.
Two signals, kept apart because they fail differently:

* **recorded**: the day ended with the recorded on-hand at zero (or began with it, nothing
  received): the shelf ran empty. Cheap and precise when stock records are right, blind to
  phantom stock (the system believes units are there that are not).
* **sales alone**: a run of days without a sale that is improbable under the product's expected
  rate. With a Poisson rate ``λ`` per day learnt from the trailing weeks, ``r`` days in a row
  without a sale happen with probability ``exp(-λ r)``; below ``alpha`` the whole run is called a
  stockout (the approach of Rozas Andaur et al. 2021, in its simplest form). A slow mover needs a
  long run before it is suspicious, a fast one a day.

**Phantom stock**: a zero-sales run while the records say units were on hand, less likely than
``PHANTOM_ALPHA`` (looser than a stockout call: a count is cheap, a shelf the system believes
full is never reordered; in the replay, counting on this flag rather than at ``ALPHA`` took the
empty shelves from 4.1 % to 3.9 % at the same stock).

Written with pandas rather than a library: statsforecast and mlforecast forecast series, none of
them detects censored days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["store_id", "gtin"]
TRAILING_DAYS = 28  # the expected rate is learnt over the four weeks before the day
MIN_HISTORY_DAYS = 7  # fewer days of history: no rate, no call from sales alone
ALPHA = 0.01  # a zero-sales run less likely than this under the expected rate is a stockout
PHANTOM_ALPHA = 0.05  # ... and, with units on record, makes the record doubtful: count the shelf


def detect_stockouts(panel: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Flag each store × product × day of ``panel``.

    ``panel``: one row per store, product and day the store was open, with ``units_sold`` (0 when
    nothing sold) and ``on_hand_qty`` (recorded end-of-day stock; null when not recorded), and
    optionally ``previous_on_hand_qty``, ``received_qty`` and ``discount_pct`` (promoted days). Returns the panel with
    ``expected_rate``, ``zero_run_days``, ``p_zero_run``, ``stockout_recorded``,
    ``stockout_from_sales``, ``is_stockout`` (either) and ``is_phantom_stock``.
    """
    frame = panel.sort_values([*KEYS, "date"]).reset_index(drop=True)

    on_hand = frame["on_hand_qty"]
    began_empty = pd.Series(False, index=frame.index)
    if "previous_on_hand_qty" in frame:
        received = frame["received_qty"].fillna(0) if "received_qty" in frame else 0
        began_empty = (frame["previous_on_hand_qty"] <= 0) & (received <= 0)
    frame["stockout_recorded"] = (on_hand <= 0).fillna(False) | began_empty

    # The expected rate and spread: the trailing days' sales, leaving out the days the records
    # call empty (they would pull the rate down and hide the next run) and promoted days (they
    # would push it up). Shifted: never today's.
    promoted = frame["discount_pct"].fillna(0) > 0 if "discount_pct" in frame else False
    learnt = frame["units_sold"].where(~frame["stockout_recorded"] & ~promoted)
    series_start = _series_starts(frame)
    mean, variance = trailing_moments(learnt.to_numpy(dtype=float), series_start, TRAILING_DAYS, MIN_HISTORY_DAYS)
    frame["expected_rate"] = mean
    variance = pd.Series(variance, index=frame.index)

    # Runs of consecutive zero-sales days, each day knowing its run's full length, judged with the
    # rate and spread before the run began, and each day's weekday: a Saturday without a sale says
    # more than a Monday, a day the store is closed nothing at all.
    zero = frame["units_sold"] <= 0
    run_id = (zero != zero.groupby([frame[k] for k in KEYS], sort=False).shift(1)).cumsum()
    frame["zero_run_days"] = np.where(zero, zero.groupby(run_id).transform("size"), 0)
    factors = weekday_factors(frame.assign(is_stockout=frame["stockout_recorded"]))
    weekday = frame[["store_id"]].assign(weekday=frame["date"].dt.day_of_week)
    factor = weekday.merge(factors, on=["store_id", "weekday"], how="left")["weekday_factor"].fillna(1.0)
    rate = frame["expected_rate"].groupby(run_id).transform("first")
    spread = variance.groupby(run_id).transform("first")
    run_factor = pd.Series(factor.to_numpy(), index=frame.index).groupby(run_id).transform("sum")
    # A slow seller's four weeks hold a handful of sales: too few to measure its spread. The
    # product's spread over all its stores (variance over mean, pooled) is the floor.
    ratio = np.maximum((spread / rate.where(rate > 0)).fillna(0), frame["gtin"].map(_pooled_ratio(frame, learnt)))
    frame["p_zero_run"] = np.where(zero, _p_no_sale(rate * run_factor, ratio), 1.0)
    frame["stockout_from_sales"] = zero & rate.notna() & (frame["p_zero_run"] < alpha)

    frame["is_stockout"] = frame["stockout_recorded"] | frame["stockout_from_sales"]
    frame["is_phantom_stock"] = (
        zero & rate.notna() & (frame["p_zero_run"] < PHANTOM_ALPHA) & (on_hand > 0).fillna(False)
    )
    return frame


def weekday_factors(panel: pd.DataFrame) -> pd.DataFrame:
    """Per store and weekday: its units sold per open day against its average day (1.0 = average).

    Learnt from the days in stock when the panel says which (``is_stockout``), and not promoted
    (``discount_pct``): an empty shelf's sales would lower its weekday, a promotion's raise it.
    """
    in_stock = panel[~panel["is_stockout"]] if "is_stockout" in panel else panel
    if "discount_pct" in in_stock:
        in_stock = in_stock[~(in_stock["discount_pct"].fillna(0) > 0)]
    # Each row against its own series' mean, summed per store and weekday: rows left out (an empty
    # or promoted day) then leave no hole in a day's total.
    days = in_stock.assign(weekday=in_stock["date"].dt.day_of_week)
    days = days.assign(series_mean=days.groupby(KEYS)["units_sold"].transform("mean"))
    totals = days.groupby(["store_id", "weekday"])[["units_sold", "series_mean"]].sum()
    per_weekday = totals["units_sold"] / totals["series_mean"].where(totals["series_mean"] > 0)
    factor = (per_weekday / per_weekday.groupby("store_id").transform("mean")).fillna(1.0)
    return factor.rename("weekday_factor").reset_index()


def _series_starts(frame: pd.DataFrame) -> np.ndarray:
    """For each row of a frame sorted by series and date, the position of its series' first row."""
    new_series = np.ones(len(frame), dtype=bool)
    for key in KEYS:
        values = frame[key].to_numpy()
        new_series[1:] &= values[1:] == values[:-1]
    new_series = ~new_series
    new_series[:1] = True
    starts = np.flatnonzero(new_series)
    return np.repeat(starts, np.diff(np.append(starts, len(frame))))


def trailing_moments(
    values: np.ndarray, series_start: np.ndarray, window: int, min_periods: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample variance of each row's ``window`` previous rows of its series (NaN values left out).

    What ``groupby(series).shift(1).rolling(window, min_periods)`` gives, in a few array passes:
    a per-series Python call would take minutes on 400,000 series. Prefix sums of the values,
    their squares and counts; each row's window is the difference between two of them.
    """
    known = ~np.isnan(values)
    filled = np.where(known, values, 0.0)
    prefix = [np.concatenate([[0.0], np.cumsum(a)]) for a in (known.astype(float), filled, filled * filled)]
    end = np.arange(len(values))  # the window ends just before the row
    begin = np.maximum(end - window, series_start)
    count, total, squares = (p[end] - p[begin] for p in prefix)
    enough = count >= max(min_periods, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(enough, total / count, np.nan)
        variance = np.where(enough & (count > 1), (squares - total * total / count) / (count - 1), np.nan)
    return mean, np.maximum(variance, 0.0, where=~np.isnan(variance), out=variance)


def _pooled_ratio(frame: pd.DataFrame, learnt: pd.Series) -> pd.Series:
    """Per GTIN: the variance-to-mean ratio of its daily sales, pooled over its stores (>= 1)."""
    moments = learnt.groupby([frame["gtin"], frame["store_id"]]).agg(["mean", "var"]).dropna()
    pooled = moments.groupby(level="gtin").sum()
    return (pooled["var"] / pooled["mean"].where(pooled["mean"] > 0)).fillna(1.0).clip(lower=1.0)


def _p_no_sale(run_rate: pd.Series, ratio: pd.Series) -> pd.Series:
    """Probability of no sale over a run whose expected sales add up to ``run_rate``.

    Shoppers buy in baskets and days differ, so a product's daily sales vary more than a Poisson
    count: a zero is likelier than ``exp(-λ)``, and a Poisson test calls too many stockouts. With
    a variance-to-mean ratio ``r > 1`` the days are negative binomial sharing ``p = 1 / r``, so the
    run's sum is too, and it is zero with probability ``p ** n`` (the forecasts' helper).
    """
    from retail_factory.forecasting.models import negative_binomial

    run_rate = run_rate.fillna(0).clip(lower=0)
    overdispersed = ratio.fillna(0) > 1 + 1e-9
    n, p = negative_binomial(run_rate.to_numpy(), ratio.where(overdispersed, 2.0).to_numpy())
    return pd.Series(np.where(overdispersed, p**n, np.exp(-run_rate)), index=run_rate.index)


def precision_recall(predicted: pd.Series, actual: pd.Series) -> tuple[float, float]:
    """Precision and recall of boolean calls against the truth (nan when undefined)."""
    hits = int((predicted & actual).sum())
    called, real = int(predicted.sum()), int(actual.sum())
    return (hits / called if called else float("nan"), hits / real if real else float("nan"))
