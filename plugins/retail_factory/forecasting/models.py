"""Daily demand per store and product for the next days, with quantiles, by a model chosen by backtest.

Candidates, all from well-kept libraries:

* statsforecast's intermittent-demand models (TSB, CrostonSBA, ADIDA, IMAPA) for slow movers;
* one global LightGBM model (mlforecast: lags, rolling means, weekday; Tweedie objective, the
  usual choice for counts with many zeros, as in the M5 winners) learnt across all series;
* seasonal naive (same weekday last week), the baseline every error is compared with.

Each series falls in a demand segment (Syntetos & Boylan: average inter-demand interval and
squared coefficient of variation of the non-zero sizes: smooth, erratic, intermittent, lumpy).
A rolling-origin backtest scores every candidate on every series (RMSSE, the M5 scale: the error
over the in-sample error of a one-day naive forecast); each segment takes the candidate with
the lowest mean score. Nothing is chosen by hand.

Quantiles come from a negative binomial around the chosen model's mean with the series' own
dispersion (variance over mean of its recent days, at least Poisson): demand is a count, often
zero, and the backtest's few windows are too few for empirical (conformal) intervals to cover.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from retail_factory.forecasting.engine import per_series

HORIZON_DAYS = 14
BACKTEST_WINDOWS = 2
QUANTILES = (0.5, 0.9, 0.95)
BASELINE = "seasonal_naive"
DISPERSION_DAYS = 56  # the recent days a series' dispersion is measured on
# Syntetos-Boylan cut-offs: average inter-demand interval and squared CV of non-zero demand.
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49


@dataclass(frozen=True)
class Forecast:
    """Per series and day: ``mean`` and the quantile columns (``p50``, ``p90``, ``p95``)."""

    values: pd.DataFrame  # unique_id, ds, model, fallback, segment, mean, dispersion, p50, p90, p95
    chosen: dict[str, str]  # segment -> model
    backtest: pd.DataFrame  # unique_id, segment, one RMSSE column per candidate


def series_frame(demand: pd.DataFrame, value: str = "demand", end: pd.Timestamp | None = None) -> pd.DataFrame:
    """The long frame the libraries take: ``unique_id`` (store|gtin), ``ds``, ``y``, and ``imputed``.

    Each series runs every day from its own first record (a store opening or a product listed
    mid-history has no invented zeros before it) to ``end`` (default: the last day of any series).
    A day without a record is a gap in the data, not a day without demand (stores send their stock
    every day, open or not): it takes the series' mean on that weekday, or zero when that weekday
    was never recorded (a store closed on Sundays). ``imputed`` marks those days.
    """
    frame = pd.DataFrame(
        {
            "unique_id": demand["store_id"].astype(str) + "|" + demand["gtin"].astype(str),
            "ds": pd.to_datetime(demand["date"]),
            "y": demand[value].astype(float),
        }
    )
    end = pd.Timestamp(end) if end is not None else frame["ds"].max()
    firsts = frame.groupby("unique_id")["ds"].min()
    lengths = ((end - firsts).dt.days + 1).clip(lower=0)
    ids = np.repeat(firsts.index.to_numpy(), lengths.to_numpy())
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths.to_numpy()) - lengths.to_numpy(), lengths)
    days = np.repeat(firsts.to_numpy(), lengths.to_numpy()) + pd.to_timedelta(offsets, unit="D")
    full = pd.DataFrame({"unique_id": ids, "ds": days}).merge(frame, on=["unique_id", "ds"], how="left")
    weekday = full["ds"].dt.day_of_week
    weekday_mean = full.groupby(["unique_id", weekday])["y"].transform("mean")
    full["imputed"] = full["y"].isna()
    full["y"] = full["y"].fillna(weekday_mean).fillna(0.0)
    return full


def segment_series(frame: pd.DataFrame) -> pd.Series:
    """Each series' demand segment: smooth, erratic, intermittent or lumpy (or ``no_demand``).

    Syntetos–Boylan: the average interval between demands (ADI) against 1.32, the squared
    coefficient of variation of the demand sizes (CV²) against 0.49. Grouped sums, not a call per
    series (which took a fifth of the daily scoring at 50,000 series).
    """
    y = frame["y"].astype(float)
    positive = y.where(y > 0)
    grouped = positive.groupby(frame["unique_id"], sort=True)
    days = frame.groupby("unique_id", sort=True).size()
    sizes, mean, spread = grouped.count(), grouped.mean(), grouped.std(ddof=0)
    adi = days / sizes.where(sizes > 0)
    cv2 = (spread / mean) ** 2
    smooth_side = np.where(cv2 < CV2_CUTOFF, "smooth", "erratic")
    intermittent_side = np.where(cv2 < CV2_CUTOFF, "intermittent", "lumpy")
    segment = np.where(adi < ADI_CUTOFF, smooth_side, intermittent_side)
    return pd.Series(np.where(sizes > 0, segment, "no_demand"), index=days.index, name="segment")


def _stats_models() -> list:
    from statsforecast.models import ADIDA, IMAPA, TSB, CrostonSBA, SeasonalNaive

    return [SeasonalNaive(7, alias=BASELINE), TSB(0.1, 0.1), CrostonSBA(), ADIDA(), IMAPA()]


def _global_model():
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean

    regressor = lgb.LGBMRegressor(
        objective="tweedie",
        tweedie_variance_power=1.2,
        n_estimators=300,
        learning_rate=0.05,
        num_leaves=31,
        n_jobs=2,
        verbose=-1,
        random_state=0,
        deterministic=True,  # the same history gives the same forecast: re-running a date changes nothing
        force_row_wise=True,
    )
    return MLForecast(
        models={"lightgbm": regressor},
        freq="D",
        lags=[7, 14],
        # A four-week mean from one week of values on: the shortest backtested history (28 days before
        # its first window) still leaves two weeks of rows to learn from once lag 14 exists.
        lag_transforms={
            1: [RollingMean(7), RollingMean(28, min_samples=7)],
            7: [RollingMean(7), RollingMean(28, min_samples=7)],
        },
        date_features=["day_of_week"],
    )


def _backtest_predictions(frame: pd.DataFrame, horizon: int, windows: int, promo: pd.DataFrame) -> pd.DataFrame:
    stats = per_series(_stats_models(), frame, horizon, windows)
    stats = _with_uplift(stats, promo, [c for c in stats.columns if c not in ("unique_id", "ds", "cutoff", "y")])
    learnt = _global_model().cross_validation(
        df=_with_promo(frame, promo), h=horizon, n_windows=windows, step_size=horizon, static_features=[]
    )
    return stats.merge(learnt.drop(columns="y"), on=["unique_id", "ds", "cutoff"])


def rmsse(
    predictions: pd.DataFrame, history: pd.DataFrame, models: list[str], scale: pd.Series | None = None
) -> pd.DataFrame:
    """Per series and model: root mean squared error over the in-sample one-day-naive error (M5).

    ``scale`` (per series) replaces the one computed from ``history`` when given.
    """
    if scale is None:
        scale = (
            history.sort_values(["unique_id", "ds"])
            .groupby("unique_id")["y"]
            .agg(lambda y: float(np.mean(np.diff(y.to_numpy()) ** 2)) if len(y) > 1 else np.nan)
            .replace(0.0, np.nan)
        )
    squared = predictions[models].sub(predictions["y"], axis=0) ** 2
    mse = squared.groupby(predictions["unique_id"]).mean()
    return np.sqrt(mse.div(scale.reindex(mse.index), axis=0))


COLUMNS = ["unique_id", "ds", "model", "mean", "fallback"]  # fallback: too short, or no choice for its segment


@dataclass
class TrainedModels:
    """What a training learnt: the model of each segment, its backtest, the fitted global model.

    Training (backtest and LightGBM fit) costs most; it can run weekly while the daily scoring
    (``forecast_with``) reuses it on each day's history.
    """

    trained_on: pd.Timestamp  # the last day of the history it learnt from
    chosen: dict[str, str]  # segment -> model
    backtest: pd.DataFrame  # unique_id, segment, one RMSSE column per candidate
    global_model: object | None  # a fitted mlforecast.MLForecast, None when no series was long enough

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        about = {"trained_on": self.trained_on.date().isoformat(), "chosen": self.chosen}
        (folder / "trained.json").write_text(json.dumps(about, indent=2, sort_keys=True))
        self.backtest.to_parquet(folder / "backtest.parquet", index=False)
        if self.global_model is not None:
            self.global_model.save(folder / "global_model")

    @classmethod
    def load(cls, folder: Path) -> TrainedModels:
        from mlforecast import MLForecast

        about = json.loads((folder / "trained.json").read_text())
        model = MLForecast.load(folder / "global_model") if (folder / "global_model").is_dir() else None
        return cls(pd.Timestamp(about["trained_on"]), about["chosen"], pd.read_parquet(folder / "backtest.parquet"),
                   model)  # fmt: skip


def forecast_demand(
    frame: pd.DataFrame,
    horizon: int = HORIZON_DAYS,
    windows: int = BACKTEST_WINDOWS,
    promotions: pd.DataFrame | None = None,
    elasticity: pd.Series | None = None,
) -> Forecast:
    """Train (``train_models``) and forecast (``forecast_with``) in one go."""
    trained = train_models(frame, horizon, windows, promotions, elasticity)
    return forecast_with(trained, frame, horizon, promotions, elasticity)


def train_models(
    frame: pd.DataFrame,
    horizon: int = HORIZON_DAYS,
    windows: int = BACKTEST_WINDOWS,
    promotions: pd.DataFrame | None = None,
    elasticity: pd.Series | None = None,
) -> TrainedModels:
    """Backtest every candidate on the series long enough, choose one per segment, fit the global model.

    ``promotions`` (``unique_id``, ``ds``, ``discount_pct``, past and ahead) are known in advance:
    the global model learns from the discount, and the other models' forecasts of a promoted day
    are multiplied by its uplift for the series' ``elasticity`` (per ``unique_id``;
    ``unconstrain.promotion_uplift``), in the backtest as in the forecast.
    """
    frame = frame[["unique_id", "ds", "y"]]  # the libraries read any other column as a regressor
    promo = _promotion_days(promotions, elasticity)
    lengths = frame.groupby("unique_id").size()
    learnt = frame[frame["unique_id"].isin(lengths.index[lengths >= min_backtest_days(horizon, windows)])]
    if learnt.empty:
        return TrainedModels(frame["ds"].max(), {}, pd.DataFrame(columns=["unique_id", "segment"]), None)
    predictions = _backtest_predictions(learnt, horizon, windows, promo)
    candidates = [c for c in predictions.columns if c not in ("unique_id", "ds", "cutoff", "y")]
    first_cutoff = predictions["cutoff"].min()
    scores = rmsse(predictions, learnt[learnt["ds"] <= first_cutoff], candidates).join(segment_series(learnt))
    chosen = {
        str(segment): str(group[candidates].mean().idxmin())
        for segment, group in scores.groupby("segment")
        if group[candidates].notna().any().any()
    }
    fitted = _global_model().fit(_with_promo(learnt, promo), static_features=[])
    return TrainedModels(frame["ds"].max(), chosen, scores.reset_index(), fitted)


def forecast_with(
    trained: TrainedModels,
    frame: pd.DataFrame,
    horizon: int = HORIZON_DAYS,
    promotions: pd.DataFrame | None = None,
    elasticity: pd.Series | None = None,
) -> Forecast:
    """Forecast ``horizon`` days of every series with the model its segment was given, and quantiles.

    Only the chosen models run. A series too short to backtest (a store's or a product's first
    weeks) or of a segment without a choice gets the fallback: seasonal naive from one week of
    history, before that its own mean. Each series is judged on its own length, so one new product
    does not take the others' models away.
    """
    frame = frame[["unique_id", "ds", "y"]]
    promo = _promotion_days(promotions, elasticity)
    segments = segment_series(frame)
    lengths = frame.groupby("unique_id").size()
    long_enough = lengths >= min_backtest_days(horizon, BACKTEST_WINDOWS)
    model_of = segments.map(trained.chosen).where(long_enough.reindex(segments.index, fill_value=False))
    if trained.global_model is None:
        model_of = model_of.where(model_of != "lightgbm")
    parts = []
    for model, ids in model_of.dropna().groupby(model_of.dropna()):
        series = frame[frame["unique_id"].isin(ids.index)]
        if model == "lightgbm":
            means = trained.global_model.predict(  # type: ignore[attr-defined]
                horizon, new_df=_with_promo(series, promo), X_df=_future_promo(series, promo, horizon)
            )
        else:
            means = _with_uplift(per_series([_stats_model(str(model))], series, horizon), promo, [str(model)])
        parts.append(means.assign(model=model, mean=means[model], fallback=False)[COLUMNS])
    for fallback, ids in _fallbacks(lengths[model_of.reindex(lengths.index).isna()]):
        series = frame[frame["unique_id"].isin(ids)]
        means = _with_uplift(per_series([fallback], series, horizon), promo, [fallback.alias])
        parts.append(means.assign(model=fallback.alias, mean=means[fallback.alias], fallback=True)[COLUMNS])
    means = pd.concat(parts, ignore_index=True).merge(segments, left_on="unique_id", right_index=True)
    means["mean"] = means["mean"].clip(lower=0.0)
    values = _with_quantiles(means[[*COLUMNS, "segment"]], frame)
    return Forecast(
        values=values.sort_values(["unique_id", "ds"], ignore_index=True),
        chosen=trained.chosen,
        backtest=trained.backtest,
    )


def _promotion_days(promotions: pd.DataFrame | None, elasticity: pd.Series | None) -> pd.DataFrame:
    """Per series and promoted day: ``promo`` (the discount) and ``uplift`` (its multiplier)."""
    from retail_factory.forecasting.unconstrain import promotion_uplift

    if promotions is None or promotions.empty:
        return pd.DataFrame({"unique_id": pd.Series(dtype=str), "ds": pd.Series(dtype="datetime64[ns]"),
                             "promo": pd.Series(dtype=float), "uplift": pd.Series(dtype=float)})  # fmt: skip
    days = promotions[["unique_id", "ds"]].assign(promo=promotions["discount_pct"].astype(float))
    known = days["unique_id"].map(elasticity) if elasticity is not None else pd.Series(index=days.index, dtype=float)
    days["uplift"] = promotion_uplift(days["promo"], known)
    return days


def _with_promo(frame: pd.DataFrame, promo: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the ``promo`` column the global model reads (0 on days without a promotion)."""
    merged = frame.merge(promo[["unique_id", "ds", "promo"]], on=["unique_id", "ds"], how="left")
    return merged.assign(promo=merged["promo"].fillna(0.0))


def _with_uplift(predictions: pd.DataFrame, promo: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """The models' predictions of promoted days multiplied by the series' uplift."""
    merged = predictions.merge(promo[["unique_id", "ds", "uplift"]], on=["unique_id", "ds"], how="left")
    factor = merged["uplift"].fillna(1.0).to_numpy()
    for model in models:
        merged[model] = merged[model] * factor
    return merged.drop(columns="uplift")


def _future_promo(frame: pd.DataFrame, promo: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Every series × forecast day with its ``promo`` (the exogenous frame the global model needs)."""
    last = frame.groupby("unique_id")["ds"].max()
    days = pd.DataFrame({
        "unique_id": np.repeat(last.index.to_numpy(), horizon),
        "ds": np.repeat(last.to_numpy(), horizon) + np.tile(pd.to_timedelta(np.arange(1, horizon + 1), "D"), len(last)),
    })  # fmt: skip
    return _with_promo(days, promo)


def _stats_model(alias: str):
    """One candidate of the statsforecast family by its alias."""
    return next(model for model in _stats_models() if model.alias == alias)


def _fallbacks(lengths: pd.Series) -> list[tuple[object, pd.Index]]:
    """The short series by fallback model: seasonal naive from one week of history, else the mean."""
    from statsforecast.models import HistoricAverage, SeasonalNaive

    week = lengths >= 7
    groups = [(SeasonalNaive(7, alias=BASELINE), lengths.index[week]), (HistoricAverage(alias="historic_average"),
              lengths.index[~week])]  # fmt: skip
    return [(model, ids) for model, ids in groups if len(ids)]


def min_backtest_days(horizon: int = HORIZON_DAYS, windows: int = BACKTEST_WINDOWS) -> int:
    """Days of history a backtest needs: its windows, plus four weeks to learn from before the first
    (the global model's lag 14 and rolling means leave two of them as rows)."""
    return horizon * windows + 28


def _with_quantiles(means: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:

    recent = history[history["ds"] > history["ds"].max() - pd.Timedelta(days=DISPERSION_DAYS)]
    moments = recent.groupby("unique_id")["y"].agg(["mean", "var"])
    dispersion = (moments["var"] / moments["mean"].where(moments["mean"] > 0)).fillna(1.0).clip(lower=1.0)
    out = means.copy()
    mu = out["mean"].clip(lower=1e-6).to_numpy()
    ratio = np.maximum(out["unique_id"].map(dispersion).fillna(1.0).to_numpy(), 1.0 + 1e-6)
    out["dispersion"] = ratio  # variance over mean: the risk and the order sum days with it
    for q in QUANTILES:
        out[f"p{round(q * 100)}"] = demand_quantile(q, mu, ratio)
    return out


def negative_binomial(mean: np.ndarray, dispersion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scipy's (n, p) for a count with this mean and variance ``mean * dispersion`` (> 1).

    Days of one series share ``p``, so their sum is again negative binomial: (sum of n, p).
    """
    p = 1.0 / np.maximum(dispersion, 1.0 + 1e-6)
    return np.maximum(mean, 1e-9) * p / (1.0 - p), p


def demand_quantile(q: float, mean: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    from scipy import stats

    n, p = negative_binomial(np.asarray(mean, dtype=float), np.asarray(dispersion, dtype=float))
    return stats.nbinom.ppf(q, n, p).astype(float)
