"""Where the per-series models run: ``local`` (statsforecast in this process) or ``spark`` (the
same statsforecast loop inside Spark tasks, each over a share of the series, on as many executors
as the cluster has), chosen by ``RETAIL_FACTORY_FORECAST_ENGINE``.

What moves is the per-series work, the part that grows with the number of store × product series:
the intermittent-demand models' backtest and forecasts. The global LightGBM model stays one model
fitted in this process on a sample of series (``job.TRAINING_SERIES``): its distributed forms
(SynapseML's LightGBM on Spark, a JVM library downloaded at run time; ``lightgbm.dask``) grow
different trees than one fit, so their forecasts would not be the local run's.

Each series is forecast by the same code either way, so the results are the local run's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd

from retail_factory.config import get_settings


@contextmanager
def engine_session() -> Iterator[None]:
    """Keep the engine's session open around a forecast run, so its many calls share one (a Spark
    session takes seconds to start); nothing to open for ``local``."""
    if get_settings().forecast_engine != "spark":
        yield
        return
    from pyspark.sql import SparkSession

    from retail_factory.warehouse.spark import spark_session

    if SparkSession.getActiveSession() is not None:
        yield
        return
    with spark_session(catalog=False):
        yield


def per_series(models: list, frame: pd.DataFrame, horizon: int, windows: int | None = None) -> pd.DataFrame:
    """statsforecast's forecast of ``frame`` (``unique_id``, ``ds``, ``y``) ``horizon`` days ahead, or
    with ``windows`` its rolling-origin cross-validation (windows of ``horizon`` days), on the engine."""
    if get_settings().forecast_engine == "local":
        return _statsforecast(frame, models, horizon, windows)
    return _on_spark(models, frame, horizon, windows)


def _statsforecast(df: pd.DataFrame, models: list, horizon: int, windows: int | None) -> pd.DataFrame:
    """statsforecast's own loop over the series of ``df``: the whole frame locally, a task's share on Spark."""
    from statsforecast import StatsForecast

    stats = StatsForecast(models=models, freq="D", n_jobs=1)
    if windows is None:
        return stats.forecast(df=df, h=horizon)
    return stats.cross_validation(df=df, h=horizon, n_windows=windows, step_size=horizon)


def _on_spark(models: list, frame: pd.DataFrame, horizon: int, windows: int | None) -> pd.DataFrame:
    """statsforecast's own loop over many whole series per Spark task (Fugue's ``coarse``
    partitioning: the rows of a series stay together, a task gets a share of the series).

    Why not ``StatsForecast(...).forecast(df=spark_df)``: its Fugue backend groups by series,
    one Python call per series (here 331 s for 27,014 series that take 9 s locally), and returns
    float32. This keeps the library's models and loop, and their float64 results.
    """
    import fugue.api as fa
    from pyspark.sql import SparkSession

    # Series travel as integer codes: pyspark 4.3 cannot send pandas 3's Arrow-backed string
    # columns back from a worker ("Cannot convert pyarrow.lib.ChunkedArray to pyarrow.lib.Array").
    codes, ids = pd.factorize(frame["unique_id"], sort=True)
    coded = frame[["ds", "y"]].assign(unique_id=codes)[["unique_id", "ds", "y"]]
    keys = "unique_id:long,ds:datetime" + (",cutoff:datetime,y:double" if windows is not None else "")
    schema = keys + "".join(f",{model!r}:double" for model in models)
    params = {"models": models, "horizon": horizon, "windows": windows}
    with engine_session():  # the run's session, or one for this call
        spark = SparkSession.getActiveSession()
        result = fa.transform(coded, _statsforecast, schema=schema, params=params, engine=spark,
                              partition={"by": "unique_id", "algo": "coarse"}, as_local=True)  # fmt: skip
    result = fa.as_pandas(result)
    result["unique_id"] = ids.take(result["unique_id"].to_numpy())
    values = [c for c in result.columns if c not in ("unique_id", "ds", "cutoff")]
    result[values] = result[values].astype("float64")  # Fugue gives nullable Float64; local runs give numpy's
    order = ["unique_id", "ds"] if windows is None else ["unique_id", "cutoff", "ds"]
    return result.sort_values(order, ignore_index=True)
