"""Judge the forecasting job against a simulation's truth (``retail-factory evaluate-forecast``).

The job never reads the truth; this does, after the fact. It replays the job at cut dates over
the warehouse's history (the marts the simulated chain produced), then compares with what
really happened in the simulator (``truth/series``):

* **accuracy**: WRMSSE at store × product level (M5: each series' RMSE over the in-sample error
  of a one-day naive forecast, weighted by its revenue of the last 28 days) of the chosen models
  and of seasonal naive on recorded sales, over the days after each cut, against true demand;
* **quantiles**: pinball loss of p50, p90, p95 and how often true demand stayed under p95;
* **detection**: precision and recall of the stockouts called from sales alone, and from the
  records, against true shelf availability: the days the shelf was empty when the store opened
  (``not is_available``: nothing could sell all day); and, harder, against every day demand was
  lost (``is_stockout``: also the days the shelf emptied during trading, after some sales);
  Next to them, the **ceiling** of detection from sales alone: a classifier trained on the truth
  itself (``detection_ceiling``), to tell a weak detector from a weak signal;
* **7-day stockout prediction**: ``p_stockout >= 0.5`` against a true stockout before the next
  delivery, within 7 days of the cut;
* **bias on stockout days**: mean (sales - true demand), and (unconstrained demand - true demand);
* with ``--replay-days N``, the **replenishment replay** (``forecasting.replay``).

Pure pandas over the job's own functions, so what is judged is what runs in the DAG.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from retail_factory.forecasting import inputs
from retail_factory.forecasting.detection import precision_recall
from retail_factory.forecasting.detection_ceiling import detection_ceiling
from retail_factory.forecasting.job import compute_forecast, unconstrained_history
from retail_factory.forecasting.models import BASELINE, HORIZON_DAYS, QUANTILES, rmsse, series_frame
from retail_factory.forecasting.outputs import AT_RISK
from retail_factory.warehouse.connections import Warehouse, get_warehouse

if TYPE_CHECKING:
    from retail_factory.forecasting.replay import Replay

PREDICTION_DAYS = 7


@dataclass(frozen=True)
class Evaluation:
    cuts: list[str]
    series: int
    wrmsse_model: float
    wrmsse_seasonal_naive: float
    improvement: float  # 1 - model / seasonal naive
    pinball: dict[str, float]  # quantile -> mean pinball loss (units)
    p95_coverage: float
    detection_sales: tuple[float, float]  # precision, recall against the days empty at opening
    detection_sales_ceiling: tuple[float, float]  # a classifier trained on the truth, from sales alone
    detection_records: tuple[float, float]
    detection_either: tuple[float, float]
    detection_sales_any: tuple[float, float]  # against every day with demand lost
    detection_either_any: tuple[float, float]
    unavailable_days: int
    prediction_7d: tuple[float, float]
    predicted_positive: int
    actual_positive: int
    bias_sales: float  # mean (sales - demand) on true stockout days
    bias_unconstrained: float  # mean (unconstrained demand - demand) on those days
    stockout_days: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def read_truth(truth_dir: Path) -> pd.DataFrame:
    """The simulator's per store × product × day truth, keyed like the marts (store id, 14-digit GTIN)."""
    series = pd.read_parquet(Path(truth_dir) / "series")
    series["date"] = pd.to_datetime(series["date"])
    series["store_id"] = series["store_gln"].astype(str)
    series["gtin14"] = series["gtin"].astype(str).str.zfill(14)
    return series


def evaluate(
    truth_dir: Path,
    warehouse: Warehouse | None = None,
    cuts: list[dt.date] | None = None,
    horizon: int = HORIZON_DAYS,
) -> Evaluation:
    """Replay the job at each cut (default: the two fortnights before the last day) and judge it."""
    warehouse = warehouse or get_warehouse()
    truth = read_truth(truth_dir)
    prices = _prices(Path(truth_dir))
    last = truth["date"].max().date()
    cuts = cuts or [last - dt.timedelta(days=horizon * k) for k in (2, 1)]

    scored, risks = [], []
    for cut in cuts:
        with tempfile.TemporaryDirectory(prefix="retail-factory-evaluation-") as folder:
            run = compute_forecast(cut, warehouse, 0.975, Path(folder))
            forecasts = _keyed(run.rows("demand_forecasts"), "forecast_date")
            run_risks = run.rows("stockout_risks")
        history = inputs.load_history(cut, warehouse=warehouse)
        naive = _seasonal_naive(history, cut, horizon)
        scored.append(_score(forecasts, naive, truth, history, prices, cut))
        risks.append(_risk_outcomes(run_risks, truth, cut))
    accuracy = pd.concat(scored, ignore_index=True)
    outcomes = pd.concat(risks, ignore_index=True)

    flags, _ = unconstrained_history(last, warehouse)
    judged = _keyed(flags, "date").merge(
        truth[["store_id", "gtin14", "date", "is_stockout", "is_available", "demand", "is_store_open"]].rename(
            columns={"demand": "true_demand", "is_stockout": "true_stockout"}
        ),
        on=["store_id", "gtin14", "date"],
    )
    judged = judged[judged["is_store_open"]]
    lost = judged["true_stockout"].astype(bool)
    unavailable = ~judged["is_available"].astype(bool)
    on_stockout = judged[lost]
    model, naive = _wrmsse(accuracy, "mean"), _wrmsse(accuracy, BASELINE)
    return Evaluation(
        cuts=[c.isoformat() for c in cuts],
        series=int((accuracy["store_id"] + "|" + accuracy["gtin14"]).nunique()),
        wrmsse_model=model,
        wrmsse_seasonal_naive=naive,
        improvement=1 - model / naive if naive else float("nan"),
        pinball={f"p{round(q * 100)}": _pinball(accuracy, q) for q in QUANTILES},
        p95_coverage=float((accuracy["demand"] <= accuracy["p95"]).mean()),
        detection_sales=precision_recall(judged["stockout_from_sales"], unavailable),
        detection_sales_ceiling=detection_ceiling(judged, unavailable),
        detection_records=precision_recall(judged["stockout_recorded"], unavailable),
        detection_either=precision_recall(judged["is_stockout"].astype(bool), unavailable),
        detection_sales_any=precision_recall(judged["stockout_from_sales"], lost),
        detection_either_any=precision_recall(judged["is_stockout"].astype(bool), lost),
        unavailable_days=int(unavailable.sum()),
        prediction_7d=precision_recall(outcomes["predicted"], outcomes["actual"]),
        predicted_positive=int(outcomes["predicted"].sum()),
        actual_positive=int(outcomes["actual"].sum()),
        bias_sales=float((on_stockout["units_sold"] - on_stockout["true_demand"]).mean()),
        bias_unconstrained=float((on_stockout["demand"] - on_stockout["true_demand"]).mean()),
        stockout_days=len(on_stockout),
    )


def _keyed(frame: pd.DataFrame, date_column: str) -> pd.DataFrame:
    out = frame.copy()
    out["date"] = pd.to_datetime(out[date_column])
    out["store_id"] = out["store_id"].astype(str)
    out["gtin14"] = out["gtin"].astype(str).str.zfill(14)
    return out


def _prices(truth_dir: Path) -> pd.Series:
    products = pd.read_parquet(truth_dir / "world" / "products.parquet")
    return products.set_index(products["gtin"].astype(str).str.zfill(14))["price_eur"].astype(float)


def _seasonal_naive(history: pd.DataFrame, cut: dt.date, horizon: int) -> pd.DataFrame:
    """Seasonal naive on recorded sales, as a shop would forecast without any model."""
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive

    frame = series_frame(history.rename(columns={"units_sold": "demand"}), end=pd.Timestamp(cut))
    frame = frame[["unique_id", "ds", "y"]]
    lengths = frame.groupby("unique_id").size()
    frame = frame[frame["unique_id"].isin(lengths.index[lengths >= 7])]
    naive = StatsForecast(models=[SeasonalNaive(7, alias=BASELINE)], freq="D").forecast(df=frame, h=horizon)
    keys = naive["unique_id"].str.split("|", n=1, expand=True)
    return naive.assign(store_id=keys[0], gtin14=keys[1].str.zfill(14), date=naive["ds"])


def _score(
    forecasts: pd.DataFrame,
    naive: pd.DataFrame,
    truth: pd.DataFrame,
    history: pd.DataFrame,
    prices: pd.Series,
    cut: dt.date,
) -> pd.DataFrame:
    """Per series and forecast day: model, baseline, true demand, and the series' scale and weight."""
    keys = ["store_id", "gtin14", "date"]
    days = forecasts.merge(naive[[*keys, BASELINE]], on=keys).merge(
        truth.loc[truth["is_store_open"], [*keys, "demand"]], on=keys
    )
    days["unique_id"] = days["store_id"] + "|" + days["gtin14"] + "|" + cut.isoformat()
    past = _keyed(history, "date")
    past["unique_id"] = past["store_id"] + "|" + past["gtin14"] + "|" + cut.isoformat()
    scale = (
        past.sort_values(["unique_id", "date"])
        .groupby("unique_id")["units_sold"]
        .agg(lambda y: float(np.mean(np.diff(y.to_numpy(dtype=float)) ** 2)) if len(y) > 1 else np.nan)
    )
    recent = past[past["date"] > pd.Timestamp(cut) - pd.Timedelta(days=28)]
    revenue = recent["units_sold"] * recent["gtin14"].map(prices).fillna(1.0)
    weight = revenue.groupby(recent["unique_id"]).sum()
    days["scale"] = days["unique_id"].map(scale.replace(0.0, np.nan))
    days["weight"] = days["unique_id"].map(weight).fillna(0.0)
    return days


def _wrmsse(days: pd.DataFrame, column: str) -> float:
    scored = days.dropna(subset=["scale"])
    errors = rmsse(
        scored.assign(y=scored["demand"]),
        pd.DataFrame(columns=["unique_id", "ds", "y"]),
        [column],
        scale=scored.groupby("unique_id")["scale"].first(),
    )[column]
    weights = scored.groupby("unique_id")["weight"].first().reindex(errors.index)
    return float((errors * weights).sum() / weights.sum())


def _pinball(days: pd.DataFrame, q: float) -> float:
    gap = days["demand"] - days[f"p{round(q * 100)}"]
    return float(np.mean(np.maximum(q * gap, (q - 1) * gap)))


def _risk_outcomes(risks: pd.DataFrame, truth: pd.DataFrame, cut: dt.date) -> pd.DataFrame:
    """Per series at the cut: predicted stockout (p >= 0.5) and a true one before the next delivery (<= 7 days)."""
    risks = risks.assign(store_id=risks["store_id"].astype(str), gtin14=risks["gtin"].astype(str).str.zfill(14))
    days = np.minimum(risks["horizon_days"].fillna(0).astype(int), PREDICTION_DAYS)
    window = truth[(truth["date"] > pd.Timestamp(cut)) & (truth["date"] <= pd.Timestamp(cut) + pd.Timedelta(days=7))]
    window = window.merge(risks[["store_id", "gtin14"]].assign(days=days.to_numpy()), on=["store_id", "gtin14"])
    within = window[(window["date"] - pd.Timestamp(cut)).dt.days <= window["days"]]
    empty = within[within["is_stockout"].astype(bool)].groupby(["store_id", "gtin14"]).size()
    keys = pd.MultiIndex.from_frame(risks[["store_id", "gtin14"]])
    return pd.DataFrame({
        "predicted": (risks["p_stockout"] >= AT_RISK).to_numpy(),
        "actual": keys.isin(empty.index),
    })  # fmt: skip


def report_text(result: Evaluation, replayed: Replay | None = None) -> str:
    """The evaluation (and the replenishment replay, when run) as the lines the command prints."""

    def pr(pair: tuple[float, float]) -> str:
        return f"precision {pair[0]:.2f}, recall {pair[1]:.2f}"

    pinball = ", ".join(f"{q} {v:.3f}" for q, v in result.pinball.items())
    return "\n".join([
        f"backtest cuts {', '.join(result.cuts)}: {result.series:,} store × product series, {HORIZON_DAYS} days each",
        f"WRMSSE (against true demand): model {result.wrmsse_model:.3f}, seasonal naive "
        f"{result.wrmsse_seasonal_naive:.3f} → {result.improvement:+.1%} better (aim ≥ 15%)",
        f"pinball loss (units): {pinball}; p95 coverage {result.p95_coverage:.3f} (aim 0.93–0.97)",
        f"stockout detection vs true shelf availability ({result.unavailable_days:,} days empty at opening):",
        f"    from sales alone  {pr(result.detection_sales)} (aim 0.85 / 0.80)",
        f"      ceiling         {pr(result.detection_sales_ceiling)} (a classifier trained on the truth itself)",
        f"    from the records  {pr(result.detection_records)}",
        f"    either            {pr(result.detection_either)}",
        f"  vs every day with demand lost ({result.stockout_days:,}, also shelves emptied during the day):",
        f"    from sales alone  {pr(result.detection_sales_any)}",
        f"    either            {pr(result.detection_either_any)}",
        f"stockout before the next delivery within {PREDICTION_DAYS} days (p ≥ {AT_RISK}): "
        f"{pr(result.prediction_7d)} ({result.predicted_positive} predicted, {result.actual_positive} happened)",
        f"mean bias on stockout days: sales {result.bias_sales:+.2f} units/day, unconstrained "
        f"{result.bias_unconstrained:+.2f} (aim near 0)",
        *(_replay_lines(replayed) if replayed else ["replenishment replay: not run (--replay-days N)"]),
    ])  # fmt: skip


def _replay_lines(replayed: Replay) -> list[str]:
    lines = [f"replenishment replay of the last {replayed.days} days ({replayed.series:,} series, "
             f"{replayed.trainings} trainings), service level {replayed.service_level:.1%}; the proposals' "
             f"stores counted {replayed.counts:,} shelves suspected of phantom stock:"]  # fmt: skip
    for name, outcome in (("own policy", replayed.own), ("proposals", replayed.proposals)):
        lines.append(
            f"    {name:<11} out of stock {outcome.out_of_stock_rate:.1%} of open days (aim ≤ 3%), demand lost on "
            f"{outcome.lost_demand_rate:.1%}, {outcome.units_lost_share:.1%} of units; mean stock "
            f"{outcome.mean_stock:.1f} units, waste {outcome.waste_units:,}, ordered {outcome.units_ordered:,}"
        )
    return lines
