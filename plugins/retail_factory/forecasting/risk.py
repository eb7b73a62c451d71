"""Stockout risk before the next delivery, and the order that covers it.

For a store and product on the day of the run: the stock that can sell before the next delivery
is what is on hand (for a fresh product, what sells before its best-before date: ``expiry``)
plus what is already on its way; the demand until then is the sum of the daily forecasts. Each
day's demand is negative binomial with the series' dispersion, so their sum is too (the days
share ``p``): the risk is ``P(demand over the days > stock)``, exact, no sampling.

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


def stockout_risk(
    forecast: pd.DataFrame,
    stock: pd.DataFrame,
    service_level: float = SERVICE_LEVEL,
    usable: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Risk and order per series.

    ``forecast``: ``unique_id``, ``ds``, ``mean``, ``dispersion`` (from ``forecast_demand``).
    ``stock``: indexed by ``unique_id``, with ``on_hand``, ``in_transit``, ``days_to_delivery``
    (the days until the next delivery can be on the shelf), ``days_between_deliveries``,
    ``pack_size`` and ``shelf_life_days`` (null when not fresh).
    ``usable``: per series and day ``t``, the on-hand units that can sell within ``t`` days
    (``expiry.usable_stock``: fresh units expire); without it the whole on-hand lasts.
    Returns ``stock`` with ``p_stockout``, ``expected_stockout_date``, ``order_up_to``,
    ``available`` (the stock the order counts on) and ``recommended_order_qty``.
    """
    from scipy import stats

    out = stock.copy()
    if usable is None:
        usable = pd.DataFrame({0: out["on_hand"].clip(lower=0).astype(float)})
    in_transit = out["in_transit"].clip(lower=0).astype(float)

    def available(days: pd.Series) -> pd.Series:
        """On hand that sells within ``days`` (what expires sooner does not), plus in transit."""
        column = np.clip(days.fillna(0).to_numpy(dtype=int), 0, usable.columns.max())
        on_hand = usable.reindex(out.index).fillna(0).to_numpy()[np.arange(len(out)), column]
        return pd.Series(on_hand, index=out.index) + in_transit

    until_delivery = demand_over(forecast, out["days_to_delivery"])
    stock_until_delivery = available(out["days_to_delivery"])
    n, p = negative_binomial(until_delivery["mean"].to_numpy(), until_delivery["dispersion"].to_numpy())
    out["p_stockout"] = np.where(
        until_delivery["mean"] > 0, stats.nbinom.sf(stock_until_delivery.to_numpy(), n, p), 0.0
    )
    out["expected_stockout_date"] = _day_stock_runs_out(forecast, usable.reindex(out.index).fillna(0), in_transit)

    cover = out["days_to_delivery"] + out["days_between_deliveries"]
    covered = demand_over(forecast, cover)
    n, p = negative_binomial(covered["mean"].to_numpy(), covered["dispersion"].to_numpy())
    out["order_up_to"] = np.where(covered["mean"] > 0, stats.nbinom.ppf(service_level, n, p), 0.0)
    out["available"] = available(cover)
    needed = (out["order_up_to"] - out["available"]).clip(lower=0)
    if "shelf_life_days" in out:
        life = out["shelf_life_days"].fillna(10**6)
        sellable = demand_over(forecast, life)["mean"] - available(life)
        needed = needed.where(out["shelf_life_days"].isna(), np.minimum(needed, sellable.clip(lower=0)))
    packs = out["pack_size"].fillna(1).clip(lower=1)
    out["recommended_order_qty"] = [math.ceil(q / pack - 1e-9) * pack for q, pack in zip(needed, packs, strict=True)]
    return out


def _day_stock_runs_out(forecast: pd.DataFrame, usable: pd.DataFrame, in_transit: pd.Series) -> pd.Series:
    """The first forecast day whose cumulative mean demand reaches the stock usable by then
    (null: not within the horizon)."""
    ordered = forecast.sort_values(["unique_id", "ds"])
    cumulative = ordered.groupby("unique_id")["mean"].cumsum().to_numpy()
    day = np.minimum(ordered.groupby("unique_id").cumcount().to_numpy() + 1, usable.columns.max())
    rows = usable.index.get_indexer(ordered["unique_id"])
    known = rows >= 0
    stock = np.full(len(ordered), np.inf)
    stock[known] = usable.to_numpy()[rows[known], day[known]] + in_transit.to_numpy()[rows[known]]
    reached = ordered[cumulative >= stock]
    return reached.groupby("unique_id")["ds"].min().reindex(usable.index)
