"""Stockout risk before the next delivery, and the order that covers it.

For a store and product on the day of the run: the stock that can sell before the next delivery
is what is on hand plus what is already on its way; the demand until then is the sum of the daily
forecasts. Each day's demand is negative binomial with the series' dispersion, so their sum is
too (the days share ``p``): the risk is ``P(demand over the days > stock)``, exact, no sampling.

The order-up-to level covers the demand until the delivery after next (lead time plus the days
between deliveries) at the target service level; the order is that level less the stock, rounded
up to whole packs, and for a fresh product never more than it is expected to sell within its
shelf life (what would not sell in time is waste, not service).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from retail_factory.forecasting.models import negative_binomial

SERVICE_LEVEL = 0.975  # the share of replenishment cycles without a stockout the order aims for


def demand_over(forecast: pd.DataFrame, days: pd.Series) -> pd.DataFrame:
    """Per series: the mean demand of its first ``days[unique_id]`` forecast days, and its dispersion."""
    ranked = forecast.sort_values(["unique_id", "ds"]).assign(day=lambda f: f.groupby("unique_id").cumcount() + 1)
    within = ranked[ranked["day"] <= ranked["unique_id"].map(days).fillna(0)]
    totals = within.groupby("unique_id").agg(mean=("mean", "sum"), dispersion=("dispersion", "first"))
    return totals.reindex(days.index).fillna({"mean": 0.0, "dispersion": 1.0})


def stockout_risk(forecast: pd.DataFrame, stock: pd.DataFrame, service_level: float = SERVICE_LEVEL) -> pd.DataFrame:
    """Risk and order per series.

    ``forecast``: ``unique_id``, ``ds``, ``mean``, ``dispersion`` (from ``forecast_demand``).
    ``stock``: indexed by ``unique_id``, with ``on_hand``, ``in_transit``, ``days_to_delivery``
    (the days until the next delivery can be on the shelf), ``days_between_deliveries``,
    ``pack_size`` and ``shelf_life_days`` (null when not fresh).
    Returns ``stock`` with ``p_stockout``, ``expected_stockout_date``, ``order_up_to`` and
    ``recommended_order_qty``.
    """
    from scipy import stats

    out = stock.copy()
    available = (out["on_hand"].clip(lower=0) + out["in_transit"].clip(lower=0)).astype(float)

    until_delivery = demand_over(forecast, out["days_to_delivery"])
    n, p = negative_binomial(until_delivery["mean"].to_numpy(), until_delivery["dispersion"].to_numpy())
    out["p_stockout"] = np.where(until_delivery["mean"] > 0, stats.nbinom.sf(available.to_numpy(), n, p), 0.0)
    out["expected_stockout_date"] = _day_stock_runs_out(forecast, available)

    cover = out["days_to_delivery"] + out["days_between_deliveries"]
    covered = demand_over(forecast, cover)
    n, p = negative_binomial(covered["mean"].to_numpy(), covered["dispersion"].to_numpy())
    out["order_up_to"] = np.where(covered["mean"] > 0, stats.nbinom.ppf(service_level, n, p), 0.0)
    needed = (out["order_up_to"] - available).clip(lower=0)
    if "shelf_life_days" in out:
        sellable = demand_over(forecast, out["shelf_life_days"].fillna(10**6))["mean"] - available
        needed = needed.where(out["shelf_life_days"].isna(), np.minimum(needed, sellable.clip(lower=0)))
    packs = out["pack_size"].fillna(1).clip(lower=1)
    out["recommended_order_qty"] = [math.ceil(q / pack - 1e-9) * pack for q, pack in zip(needed, packs, strict=True)]
    return out


def _day_stock_runs_out(forecast: pd.DataFrame, available: pd.Series) -> pd.Series:
    """The first forecast day whose cumulative mean demand reaches the stock (null: not within the horizon)."""
    ordered = forecast.sort_values(["unique_id", "ds"])
    cumulative = ordered.groupby("unique_id")["mean"].cumsum()
    reached = ordered[cumulative.to_numpy() >= ordered["unique_id"].map(available).to_numpy()]
    return reached.groupby("unique_id")["ds"].min().reindex(available.index)
