"""The series the models learn from: each from its own first record, gaps filled, never invented zeros."""

from __future__ import annotations

import pandas as pd
from retail_factory.forecasting.models import series_frame


def _rows(store: str, gtin: str, days: pd.DatetimeIndex, demand: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"store_id": store, "gtin": gtin, "date": days, "demand": demand})


def test_a_store_opening_mid_history_starts_at_its_first_day() -> None:
    old = _rows("S1", "A", pd.date_range("2025-03-01", periods=28), [2.0] * 28)
    new = _rows("S2", "A", pd.date_range("2025-03-22", periods=7), [5.0] * 7)
    frame = series_frame(pd.concat([old, new]))
    sizes = frame.groupby("unique_id").size()
    assert sizes.to_dict() == {"S1|A": 28, "S2|A": 7}
    assert frame.loc[frame["unique_id"] == "S2|A", "y"].eq(5.0).all()
    assert not frame["imputed"].any()


def test_a_gap_takes_the_series_mean_on_that_weekday() -> None:
    days = pd.date_range("2025-03-03", periods=21)  # three weeks from a Monday
    demand = [float(d.day_of_week + 1) * (1 + (d.day > 10)) for d in days]  # weekday shape, higher later
    rows = _rows("S1", "A", days, demand)
    missing = pd.Timestamp("2025-03-12")  # a Wednesday: recorded 3.0 (03-05) and 6.0 (03-19)
    frame = series_frame(rows[rows["date"] != missing])
    gap = frame[frame["ds"] == missing].iloc[0]
    assert bool(gap["imputed"]) and gap["y"] == 4.5
    assert frame["imputed"].sum() == 1 and len(frame) == 21


def test_a_weekday_never_recorded_is_zero_and_the_series_runs_to_the_end() -> None:
    days = pd.date_range("2025-03-03", periods=14)
    open_days = days[days.day_of_week != 6]  # closed on Sundays: no record, no demand
    rows = _rows("S1", "A", open_days, [3.0] * len(open_days))
    frame = series_frame(rows, end=pd.Timestamp("2025-03-17"))
    assert frame["ds"].max() == pd.Timestamp("2025-03-17") and len(frame) == 15
    sundays = frame[frame["ds"].dt.day_of_week == 6]
    assert sundays["y"].eq(0.0).all() and sundays["imputed"].all()
