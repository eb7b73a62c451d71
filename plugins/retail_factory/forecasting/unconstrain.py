"""Demand on stockout days, unconstrained: what would have sold had the shelf been full.

Sales on a day the shelf ran empty are a floor of demand, not demand: a model learning from
them orders too little and makes the next stockout. On a day detected as a stockout
(:mod:`retail_factory.forecasting.detection`), demand is taken as the larger of what sold and
the day's expected demand: the product's trailing rate on days in stock, times how much the
store sells on that weekday against its average (a Saturday sells several times a Monday).
Other days keep their sales. Written with pandas: the forecasting libraries take demand as given.
"""

from __future__ import annotations

import pandas as pd

from retail_factory.forecasting.detection import KEYS


def weekday_factors(panel: pd.DataFrame) -> pd.DataFrame:
    """Per store and weekday: its units sold per open day against its average day (1.0 = average).

    Learnt from the days in stock when the panel says which (``is_stockout``): an empty shelf's
    sales would lower its weekday.
    """
    in_stock = panel[~panel["is_stockout"]] if "is_stockout" in panel else panel
    days = in_stock.assign(weekday=in_stock["date"].dt.day_of_week)
    days = days.groupby(["store_id", "weekday", "date"])["units_sold"].sum()
    per_weekday = days.groupby(["store_id", "weekday"]).mean()
    factor = per_weekday / per_weekday.groupby("store_id").transform("mean")
    return factor.rename("weekday_factor").reset_index()


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
    frame["expected_demand"] = rate.fillna(in_stock_mean).fillna(0) * frame["weekday_factor"].fillna(1.0)
    raised = frame["is_stockout"] & (frame["expected_demand"] > frame["units_sold"])
    frame["demand"] = frame["units_sold"].astype(float).where(~raised, frame["expected_demand"])
    frame["is_unconstrained"] = raised
    return frame.drop(columns="weekday")
