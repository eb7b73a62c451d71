"""Demand forecasts on simulated history: a model per segment chosen by backtest, quantiles that
make sense, and a held-out fortnight forecast better than seasonal naive (the M5 baseline)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from retail_factory.forecasting.models import HORIZON_DAYS, forecast_demand, rmsse, series_frame

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    from retail_factory.sources.simulator import SimulationParams, simulate

    out = Path(tmp_path_factory.mktemp("forecast-history"))
    simulate(SimulationParams(3, 40, 84, dt.date(2025, 3, 3), 7, out, 0.0))
    truth = pd.read_parquet(out / "truth" / "series")
    sold = truth[truth["is_store_open"]]
    return series_frame(pd.DataFrame({"store_id": sold["store_gln"], "gtin": sold["gtin"], "date": sold["date"],
                                      "demand": sold["sales"]}))  # fmt: skip


@pytest.fixture(scope="module")
def held_out(history: pd.DataFrame):
    cut = history["ds"].max() - pd.Timedelta(days=HORIZON_DAYS - 1)
    train, test = history[history["ds"] < cut], history[history["ds"] >= cut]
    # A product listed five days before the cut: too new to backtest, among series that are not.
    listed = pd.date_range(cut - pd.Timedelta(days=5), periods=5)
    train = pd.concat([train, pd.DataFrame({"unique_id": NEW_PRODUCT, "ds": listed, "y": [3.0, 0, 2, 5, 0]})])
    return train, test, forecast_demand(train)


NEW_PRODUCT = "NEW|00000000000017"


def test_every_series_gets_a_fortnight_of_ordered_quantiles(held_out) -> None:
    train, _, forecast = held_out
    values = forecast.values
    assert values.groupby("unique_id").size().eq(HORIZON_DAYS).all()
    assert set(values["unique_id"]) == set(train["unique_id"])
    assert (values["p50"] >= 0).all() and (values["p50"] <= values["p90"]).all()
    assert (values["p90"] <= values["p95"]).all()


def test_each_segment_takes_the_candidate_with_the_lowest_backtest_error(held_out) -> None:
    _, _, forecast = held_out
    scores = forecast.backtest.set_index("unique_id")
    candidates = [c for c in scores.columns if c != "segment"]
    assert {"seasonal_naive", "TSB", "CrostonSBA", "ADIDA", "IMAPA", "lightgbm"} <= set(candidates)
    for segment, group in scores.groupby("segment"):
        assert forecast.chosen[segment] == group[candidates].mean().idxmin(), segment
    learnt = forecast.values[forecast.values["unique_id"] != NEW_PRODUCT]
    assert (learnt["model"] == learnt["segment"].map(forecast.chosen)).all()


def test_a_product_too_new_to_backtest_takes_its_mean_and_leaves_the_others_alone(held_out) -> None:
    _, _, forecast = held_out
    new = forecast.values[forecast.values["unique_id"] == NEW_PRODUCT]
    assert set(new["model"]) == {"historic_average"} and new["mean"].eq(2.0).all()
    assert NEW_PRODUCT not in set(forecast.backtest["unique_id"])


def test_the_held_out_fortnight_beats_seasonal_naive(held_out) -> None:
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive

    train, test, forecast = held_out
    naive = StatsForecast(models=[SeasonalNaive(7, alias="naive")], freq="D").forecast(df=train, h=HORIZON_DAYS)
    scored = test.merge(forecast.values, on=["unique_id", "ds"]).merge(naive, on=["unique_id", "ds"])
    weights = train.groupby("unique_id")["y"].agg(lambda y: y.iloc[-28:].sum())  # M5: weighted by recent sales
    errors = rmsse(scored, train, ["mean", "naive"]).mul(weights / weights.sum(), axis=0).sum()
    assert errors["mean"] < errors["naive"], errors.to_dict()
    assert (scored["y"] <= scored["p95"]).mean() > 0.9  # the p95 covers most days (calibration: bench)


def test_a_short_history_falls_back_to_seasonal_naive_then_to_the_mean(history: pd.DataFrame) -> None:
    for days, model in ((20, "seasonal_naive"), (5, "historic_average")):
        short = history[history["ds"] < history["ds"].min() + pd.Timedelta(days=days)]
        forecast = forecast_demand(short)
        assert set(forecast.values["model"]) == {model} and forecast.chosen == {}
        assert forecast.values.groupby("unique_id").size().eq(HORIZON_DAYS).all()
    mean = short.groupby("unique_id")["y"].mean()
    first_day = forecast.values.groupby("unique_id")["mean"].first()
    assert (first_day - mean.reindex(first_day.index)).abs().max() < 1e-6
