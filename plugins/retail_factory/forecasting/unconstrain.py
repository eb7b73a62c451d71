"""Demand on stockout days, unconstrained: what would have sold had the shelf been full.

Sales on a day the shelf ran empty are a floor of demand, not demand: a model learning from
them orders too little and makes the next stockout. On a day detected as a stockout
(:mod:`retail_factory.forecasting.detection`), demand is taken as the larger of what sold and
the day's expected demand: the product's trailing rate on days in stock, times how much the
store sells on that weekday against its average (a Saturday sells several times a Monday),
times the product's promotion uplift on a promoted day (a promotion empties shelves: those are
the stockouts that censor the most demand). Other days keep their sales.
Written with pandas: the forecasting libraries take demand as given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_factory.forecasting.detection import KEYS, weekday_factors

PRIOR_DAYS = 3  # a product's own promoted days count against this many days of every product's
PRIOR_ELASTICITY = 2.5  # before any promoted day in stock: a typical promotional elasticity
MAX_ELASTICITY = 6.0  # (Bijmolt, van Heerde & Pieters 2005 report -2.6 on average for price)


def promotion_elasticity(frame: pd.DataFrame) -> pd.Series:
    """Per GTIN: how demand answers a discount, ``uplift = (1 - discount) ** -elasticity``.

    The usual constant-elasticity form. Learnt from the promoted days in stock: units sold over
    the base expected on those days (trailing rate x weekday factor), for the discounts given.
    A product with few promoted days leans on the elasticity of all products (shrunk towards it
    as if it had ``PRIOR_DAYS`` more days at that value).
    ``frame``: ``gtin``, ``units_sold``, ``base_demand``, ``is_stockout``, ``discount_pct``.
    """
    gtins = pd.Index(frame["gtin"].unique(), name="gtin")
    discount = frame["discount_pct"].fillna(0).clip(upper=90) / 100
    promoted = frame[(discount > 0) & ~frame["is_stockout"] & (frame["base_demand"] > 0)]
    if promoted.empty:
        return pd.Series(PRIOR_ELASTICITY, index=gtins, name="elasticity")
    depth = -np.log1p(-discount[promoted.index])  # -log(1 - d): the discount on the elasticity's scale
    grouped = promoted.assign(depth=depth).groupby("gtin")
    sums = grouped.agg(sold=("units_sold", "sum"), base=("base_demand", "sum"), depth=("depth", "mean"),
                       days=("units_sold", "size"))  # fmt: skip
    overall = np.log(max(promoted["units_sold"].sum(), 1e-9) / promoted["base_demand"].sum()) / depth.mean()
    own = np.log(sums["sold"].clip(lower=1e-9) / sums["base"]) / sums["depth"]
    shrunk = (sums["days"] * own + PRIOR_DAYS * overall) / (sums["days"] + PRIOR_DAYS)
    elasticity = shrunk.reindex(gtins).fillna(overall).clip(0.0, MAX_ELASTICITY)
    return elasticity.rename("elasticity")


def promotion_uplift(discount_pct: pd.Series, elasticity: pd.Series) -> pd.Series:
    """The demand multiplier of a discount (percent) for a product of that elasticity (1 without one)."""
    discount = discount_pct.fillna(0).clip(lower=0, upper=90) / 100
    return np.power(1 - discount, -elasticity.fillna(PRIOR_ELASTICITY))


def unconstrain_demand(flags: pd.DataFrame) -> pd.DataFrame:
    """``flags`` (the output of ``detect_stockouts``) with ``expected_demand`` and ``demand``.

    ``demand`` is ``units_sold`` on days in stock and ``max(units_sold, expected_demand)`` on
    stockout days; ``is_unconstrained`` marks the days it was raised.
    """
    frame = flags.assign(weekday=flags["date"].dt.day_of_week).merge(
        weekday_factors(flags), on=["store_id", "weekday"], how="left"
    )
    rate = frame["expected_rate"]
    # No trailing rate yet (the first week): the series' own mean on days in stock.
    in_stock_mean = frame["units_sold"].where(~frame["is_stockout"]).groupby([frame[k] for k in KEYS]).transform("mean")
    frame["base_demand"] = rate.fillna(in_stock_mean).fillna(0) * frame["weekday_factor"].fillna(1.0)
    if "discount_pct" not in frame:
        frame["discount_pct"] = 0.0
    elasticity = frame["gtin"].map(promotion_elasticity(frame))
    frame["expected_demand"] = frame["base_demand"] * promotion_uplift(frame["discount_pct"], elasticity)
    raised = frame["is_stockout"] & (frame["expected_demand"] > frame["units_sold"])
    frame["demand"] = frame["units_sold"].astype(float).where(~raised, frame["expected_demand"])
    frame["is_unconstrained"] = raised
    return frame.drop(columns="weekday")
