"""Stockout risk and order proposals on forecasts whose answers a Poisson table gives."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from retail_factory.forecasting.risk import stockout_risk
from scipy import stats

DAYS = pd.date_range("2025-06-02", periods=14, freq="D")


def _forecast(per_day: float) -> pd.DataFrame:
    # dispersion 1: Poisson days, whose sums a table gives
    return pd.DataFrame({"unique_id": "S|G", "ds": DAYS, "mean": per_day, "dispersion": 1.0})


def _stock(**values) -> pd.DataFrame:
    row = {"on_hand": 3, "in_transit": 0, "days_to_delivery": 2, "days_between_deliveries": 3, "pack_size": 6}
    return pd.DataFrame([{**row, **values}], index=pd.Index(["S|G"], name="unique_id"))


def test_the_risk_is_the_chance_demand_until_the_delivery_exceeds_the_stock() -> None:
    risk = stockout_risk(_forecast(2.0), _stock()).iloc[0]
    assert risk["p_stockout"] == pytest.approx(stats.poisson.sf(3, 4.0), rel=1e-3)  # 2 days × 2 > 3 units: 0.567
    assert risk["expected_stockout_date"] == DAYS[1]  # 2 then 4 units wanted: the second day empties it
    more = stockout_risk(_forecast(2.0), _stock(in_transit=5)).iloc[0]
    assert more["p_stockout"] < risk["p_stockout"] and more["expected_stockout_date"] == DAYS[3]


def test_the_order_tops_stock_up_to_the_service_level_in_whole_packs() -> None:
    risk = stockout_risk(_forecast(2.0), _stock(), service_level=0.975).iloc[0]
    level = stats.poisson.ppf(0.975, 10.0)  # demand over 2 + 3 days: Poisson(10)
    assert risk["order_up_to"] == pytest.approx(level, abs=1)
    assert risk["recommended_order_qty"] == math.ceil((risk["order_up_to"] - 3) / 6) * 6
    assert risk["recommended_order_qty"] % 6 == 0


def test_a_fresh_product_is_not_ordered_beyond_what_sells_within_its_shelf_life() -> None:
    fresh = stockout_risk(_forecast(2.0), _stock(shelf_life_days=4)).iloc[0]
    assert fresh["recommended_order_qty"] == 6  # sells 8 in 4 days, 3 on hand: 5 more, one pack
    stale = stockout_risk(_forecast(2.0), _stock(shelf_life_days=1)).iloc[0]
    assert stale["recommended_order_qty"] == 0  # 3 on hand already outlast the 2 a day's life sells


def test_no_demand_no_risk_no_order() -> None:
    quiet = stockout_risk(_forecast(0.0), _stock()).iloc[0]
    assert quiet["p_stockout"] == 0.0 and quiet["recommended_order_qty"] == 0
    assert pd.isna(quiet["expected_stockout_date"])
