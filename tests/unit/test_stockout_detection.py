"""Stockout detection on hand-built series with answers checked by hand."""

from __future__ import annotations

import math

import pandas as pd
from retail_factory.forecasting.detection import detect_stockouts, precision_recall


def _series(gtin: str, sales: list[int], on_hand: list[int]) -> pd.DataFrame:
    days = pd.date_range("2025-03-03", periods=len(sales), freq="D")
    return pd.DataFrame({"store_id": "S1", "gtin": gtin, "date": days, "units_sold": sales, "on_hand_qty": on_hand})


def test_a_fast_seller_without_sales_is_a_stockout_and_phantom_when_the_records_say_stock() -> None:
    # 14 days of exactly 5 a day (Poisson: a day without a sale has p = e^-5 = 0.0067), then 2 days without.
    fast = _series("A", [5] * 14 + [0, 0] + [5], [20] * 17)
    flags = detect_stockouts(fast).set_index("date")
    quiet = flags.iloc[14:16]
    assert quiet["stockout_from_sales"].all() and quiet["is_phantom_stock"].all()
    assert math.isclose(quiet["p_zero_run"].iloc[0], math.exp(-10), rel_tol=1e-9)  # two days at rate 5
    assert not flags.iloc[:14]["is_stockout"].any() and not flags.iloc[16]["is_stockout"]


def test_a_slow_seller_may_go_days_without_a_sale() -> None:
    slow = _series("B", [1, 0, 0, 0, 0, 1, 0, 0, 0, 0] * 2 + [0, 0, 0], [6] * 23)  # 0.2 a day: 3 quiet days p ≈ 0.5
    assert not detect_stockouts(slow)["stockout_from_sales"].any()


def test_a_recorded_empty_shelf_is_a_stockout_and_does_not_lower_the_expected_rate() -> None:
    sales = [4] * 10 + [0, 0] + [4] * 5
    on_hand = [12] * 10 + [0, 0] + [12] * 5
    flags = detect_stockouts(_series("C", sales, on_hand))
    assert flags["stockout_recorded"].tolist() == [False] * 10 + [True, True] + [False] * 5
    assert not flags["is_phantom_stock"].any()
    assert flags["expected_rate"].iloc[12:].eq(4).all()  # the empty days are not learnt as no demand


def test_no_history_no_call_from_sales_alone() -> None:
    assert not detect_stockouts(_series("D", [0, 0, 0], [5, 5, 5]))["stockout_from_sales"].any()


def test_precision_and_recall() -> None:
    called = pd.Series([True, True, False, False])
    real = pd.Series([True, False, True, False])
    assert precision_recall(called, real) == (0.5, 0.5)
