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
    # Two days at rate 5 (e^-10), each weighted by its weekday's factor, which the run itself lowers
    # a little (the store has no other product to learn its week from).
    assert quiet["p_zero_run"].iloc[0] < math.exp(-7)
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


def test_demand_on_a_stockout_day_is_raised_to_the_expected_demand_of_that_weekday() -> None:
    from retail_factory.forecasting.unconstrain import unconstrain_demand

    # Two weeks of 4 a day, then a day the records call empty after 1 sale: demand there is 4.
    flags = detect_stockouts(_series("E", [4] * 14 + [1] + [4] * 3, [12] * 14 + [0] + [12] * 3))
    demand = unconstrain_demand(flags).set_index("date")
    assert demand["weekday_factor"].eq(1.0).all()  # one product selling the same every day
    assert demand["demand"].iloc[14] == 4.0 and demand["is_unconstrained"].iloc[14]
    assert demand["demand"].drop(demand.index[14]).eq(4.0).all()  # days in stock keep their sales
    assert demand["is_unconstrained"].sum() == 1


def test_weekday_factors_compare_a_store_weekday_with_its_average_day() -> None:
    from retail_factory.forecasting.unconstrain import weekday_factors

    sales = [2, 2, 2, 2, 2, 6, 0] * 2  # Monday 3 March 2025 first; the average day sells 16 / 7
    factors = weekday_factors(_series("F", sales, [10] * 14)).set_index("weekday")["weekday_factor"]
    assert math.isclose(factors.loc[5], 6 * 7 / 16) and math.isclose(factors.loc[0], 2 * 7 / 16)
    assert factors.loc[6] == 0.0


def test_a_promoted_stockout_day_is_raised_by_the_products_promotion_elasticity() -> None:
    from retail_factory.forecasting.unconstrain import PRIOR_DAYS, promotion_elasticity, unconstrain_demand

    # G sells 4 a day; at 50 % off (days 15-18) it sells 16 (x4 = 0.5 ** -2: elasticity 2) for three
    # days, then runs out after 5. H sells 4, and 8 on its one day at 50 % off (elasticity 1).
    sales = [4] * 14 + [16, 16, 16, 5] + [4] * 3
    g = _series("G", sales, [30] * 17 + [0] + [30] * 3).assign(discount_pct=[0.0] * 14 + [50.0] * 4 + [0.0] * 3)
    h = _series("H", [4] * 15 + [8] + [4] * 5, [30] * 21).assign(discount_pct=[0.0] * 15 + [50.0] + [0.0] * 5)
    flags = detect_stockouts(pd.concat([g, h]))
    assert flags.loc[flags["discount_pct"] > 0, "expected_rate"].dropna().eq(4).all()  # promotions not learnt as base
    demand = unconstrain_demand(flags)
    elasticity = promotion_elasticity(demand)
    overall = math.log((48 + 8) / (12 + 4)) / math.log(2)  # every promoted day in stock
    assert math.isclose(elasticity["G"], (3 * 2 + PRIOR_DAYS * overall) / (3 + PRIOR_DAYS))
    assert math.isclose(elasticity["H"], (1 * 1 + PRIOR_DAYS * overall) / (1 + PRIOR_DAYS))
    g_days = demand[demand["gtin"] == "G"].set_index("date")
    assert g_days["is_unconstrained"].iloc[17]
    assert math.isclose(g_days["demand"].iloc[17], 4 * 2 ** elasticity["G"])  # base x uplift at 50 % off


def test_trailing_moments_match_pandas_rolling_per_series() -> None:
    import numpy as np
    from retail_factory.forecasting.detection import trailing_moments

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"series": np.repeat(["a", "b", "c"], [40, 5, 30]), "v": rng.poisson(3, 75).astype(float)})
    frame.loc[rng.random(75) < 0.2, "v"] = np.nan  # days left out of the learning
    starts = frame.groupby("series").cumcount().to_numpy()
    mean, variance = trailing_moments(frame["v"].to_numpy(), np.arange(75) - starts, window=28, min_periods=7)
    by = frame.groupby("series")["v"]
    expected_mean = by.transform(lambda s: s.shift(1).rolling(28, min_periods=7).mean())
    expected_var = by.transform(lambda s: s.shift(1).rolling(28, min_periods=7).var())
    assert np.allclose(mean, expected_mean, equal_nan=True) and np.allclose(variance, expected_var, equal_nan=True)
    assert np.isnan(mean[40:45]).all()  # series b: never seven days to learn from


def test_a_closed_day_does_not_lengthen_a_run_without_sales() -> None:
    # A store closed on Sundays (its stock still recorded), three products selling 3 each open day.
    days = pd.date_range("2025-03-03", periods=35, freq="D")  # Monday 3 March to Sunday 6 April
    sales = [0 if d.day_of_week == 6 else 3 for d in days]
    panel = pd.concat(
        pd.DataFrame({"store_id": "S1", "gtin": g, "date": days, "units_sold": sales, "on_hand_qty": 20})
        for g in ("X", "Y", "Z")
    )
    panel.loc[(panel["gtin"] == "X") & (panel["date"] == days[33]), "units_sold"] = 0  # a quiet Saturday
    flags = detect_stockouts(panel).set_index(["gtin", "date"])
    # The quiet Saturday and the closed Sunday after it are one run of two days without a sale;
    # at the trailing 18/7 a day for both it would look like a stockout (p = e^-5.1 under Poisson).
    # The Sunday weighs nothing, the Saturday its weekday's share: about e^-3.
    assert flags.loc[("X", days[34]), "zero_run_days"] == 2
    assert not flags["stockout_from_sales"].any()
    assert flags.loc[("X", days[33]), "p_zero_run"] > 0.01


def test_a_products_spread_over_all_its_stores_keeps_a_steady_store_from_false_alarms() -> None:
    # P sells 1 every day at S1 (no spread of its own: Poisson would call 6 quiet days, e^-6, a
    # stockout), and in bursts of 6 once a week at S2 and S3: pooled, its sales vary ~3.8x their
    # mean, and 6 quiet days at 1 a day happen about 6 % of the time.
    days = pd.date_range("2025-03-03", periods=34, freq="D")
    steady = pd.DataFrame({"store_id": "S1", "gtin": "P", "date": days, "units_sold": [1] * 28 + [0] * 6,
                           "on_hand_qty": 20})  # fmt: skip
    bursts = [
        pd.DataFrame(
            {
                "store_id": s,
                "gtin": "P",
                "date": days,
                "units_sold": ([0, 0, 0, 6, 0, 0, 0] * 5)[:34],
                "on_hand_qty": 20,
            }
        )
        for s in ("S2", "S3")
    ]
    flags = detect_stockouts(pd.concat([steady, *bursts]))
    quiet = flags[(flags["store_id"] == "S1") & (flags["units_sold"] == 0)]
    assert len(quiet) == 6 and not quiet["stockout_from_sales"].any()
    assert 0.01 < quiet["p_zero_run"].iloc[0] < 0.2


def test_a_quiet_spell_short_of_a_stockout_can_still_make_the_record_doubtful() -> None:
    # 5 a day, then one day without a sale: p = e^-5 = 0.007 raised by the weekday factor the quiet
    # day itself lowers (one store, one product) to 0.03: between ALPHA (0.01, a stockout) and
    # PHANTOM_ALPHA (0.05, count the shelf) when units are on record.
    from retail_factory.forecasting.detection import ALPHA, PHANTOM_ALPHA

    flags = detect_stockouts(_series("D", [5] * 14 + [0] + [5], [20] * 16))
    quiet = flags.iloc[14]
    assert ALPHA <= quiet["p_zero_run"] < PHANTOM_ALPHA
    assert quiet["is_phantom_stock"] and not quiet["stockout_from_sales"]
    emptied = detect_stockouts(_series("D", [5] * 14 + [0] + [5], [20] * 14 + [0, 20]))
    assert not emptied.iloc[14]["is_phantom_stock"]  # records at zero: nothing to doubt
