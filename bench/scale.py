"""The scale curve: one day of the daily chain at growing sizes, on DuckDB and on Spark (printed, never asserted).

    .venv/bin/python bench/scale.py --sizes 20x2000,200x2000 [--history 3] [--engines duckdb,spark]

For each size (stores × products) a chain is simulated for ``--history`` days and one day D more;
the history is landed, loaded and built first (not measured). Then D goes through the chain one
step at a time, as the DAGs run it: land, load, dbt build (models and data tests), the raw and
curated gates, the Parquet exports, the forecast, the trace refresh. Each step prints its wall
time, the peak memory of this process and its children (Spark's JVM, Azurite), and rows per
second (of the day's raw rows; the landing's: files; the export's: rows written; the forecast's:
series; the trace refresh's: lot links).

With ``--engines ...,spark`` the same day goes through the chain again with Spark as the
warehouse (``RETAIL_FACTORY_WAREHOUSE=spark``: a Spark Thrift server, ``local[2]``, started for
the size and stopped after): the history is loaded and built there first (not measured), then the
day is loaded from the same landed blobs, built by dbt over thrift, checked by the gates (GX on
Spark), exported, forecast (``RETAIL_FACTORY_FORECAST_ENGINE=spark``) and its genealogy refreshed.
The landing is not repeated: both warehouses load the same blobs. ``--engines spark`` alone skips
the DuckDB chain (the day is still landed and measured). A local Spark's memory is its one JVM's
heap: ``RETAIL_FACTORY_SPARK_DRIVER_MEMORY`` (Spark's 1g by default; docs/scale.md used 8g at
2,000 × 2,000).

At the end, each step's growth from one size to the next: the exponent b in time ∝ rows^b
(1 is linear; below 1, fixed costs still dominate). The forecast of a short history uses the
fallback models only (``--history`` of 56 days or more gives the backtested ones, at a far higher
simulation cost): bench/forecast.py measures the forecast at scale.

docs/scale.md has the sizes this machine ran, with their options, times and memory.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import logging
import math
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="retail-factory-bench-scale-"))
os.environ["AIRFLOW_HOME"] = str(WORK / "airflow")
os.environ["RETAIL_FACTORY_DBT_TARGET_DIR"] = str(WORK / "dbt-target")
os.environ["RETAIL_FACTORY_WAREHOUSE"] = "duckdb"

from retail_factory.config import DOMAINS, apply_airflow_environment  # noqa: E402

apply_airflow_environment()
for chatty in ("retail_factory.warehouse.dbt", "retail_factory.warehouse.loader"):  # dbt's ~500 lines a build
    logging.getLogger(chatty).setLevel(logging.WARNING)
warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)

START = dt.date(2025, 3, 3)


class PeakMemory:
    """The highest resident memory of this process and its children, sampled every 0.1 s."""

    def __init__(self) -> None:
        import psutil

        self._me, self._peak, self._stop = psutil.Process(), 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(0.1):
            total = 0
            for process in [self._me, *self._me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a child that ended between listing and reading
                    total += process.memory_info().rss
            self._peak = max(self._peak, total)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def gib(self) -> float:
        return self._peak / 2**30


def measure(step: str, function: Callable[[], int], results: list[dict], **labels: object) -> None:
    """Run one step; record its seconds, peak memory and rows (what ``function`` returns) per second."""
    started = time.perf_counter()
    with PeakMemory() as memory:
        rows = function()
    seconds = time.perf_counter() - started
    row = {**labels, "step": step, "seconds": seconds, "peak_gib": memory.gib, "rows": rows}
    results.append(row)
    print(f"  {step:<22} {seconds:8.1f} s  {memory.gib:6.2f} GiB  {rows:>11,} rows  {rows / seconds:>11,.0f} rows/s",
          flush=True)  # fmt: skip


def run_size(stores: int, products: int, history: int, engines: list[str], results: list[dict]) -> None:
    import statsforecast  # noqa: F401  (imported before timing, as the gate's GX in run_chain)
    from retail_factory.sources.simulator import SimulationParams, simulate
    from retail_factory.storage import blob_service, empty_containers
    from retail_factory.warehouse.connections import get_warehouse

    folder = WORK / f"{stores}x{products}"
    os.environ["RETAIL_FACTORY_DUCKDB_PATH"] = str(folder / "warehouse.duckdb")
    os.environ["RETAIL_FACTORY_SPARK_DIR"] = str(folder / "spark")
    os.environ["RETAIL_FACTORY_FORECAST_ENGINE"] = "local"
    days = [START + dt.timedelta(days=i) for i in range(history + 1)]
    day = days[-1]
    print(f"\n{stores} stores × {products} products, day {day} after {history} days (simulating…)", flush=True)
    simulate(SimulationParams(stores, products, len(days), START, 11, folder / "sim", 0.0))
    drop, service = folder / "sim" / "drop", blob_service()
    empty_containers(service)
    labels = {"size": f"{stores}x{products}", "series": stores * products}
    for past in days[:-1]:  # the history, not measured
        land(service, drop, past)
    print(f" landing the day (the blobs every engine loads; labelled {engines[0]}):", flush=True)
    measure("land", lambda: land(service, drop, day), results, **labels, engine=engines[0])
    if "duckdb" in engines:
        print(" on DuckDB:", flush=True)
        run_chain(service, get_warehouse(), days, labels | {"engine": "duckdb"}, results)
    if "spark" in engines:
        from unittest import mock

        from retail_factory.devstack import SparkThriftServer

        with SparkThriftServer(folder / "spark") as server:
            print(" on Spark (a Thrift server, local[2]; the same landed blobs):", flush=True)
            on_spark = {**server.environment(), "RETAIL_FACTORY_WAREHOUSE": "spark",
                        "RETAIL_FACTORY_FORECAST_ENGINE": "spark"}  # fmt: skip
            with mock.patch.dict(os.environ, on_spark):  # the settings restored after, whatever happens
                run_chain(service, get_warehouse(), days, labels | {"engine": "spark"}, results)


def run_chain(service, warehouse, days: list[dt.date], labels: dict, results: list[dict]) -> None:
    """The history loaded and built (not measured), then the last day through each step after the landing."""
    from retail_factory.forecasting.job import run_forecast
    from retail_factory.quality.gate import run_gate
    from retail_factory.traceability.genealogy import build_genealogy
    from retail_factory.warehouse.dbt import dbt_vars, run_dbt
    from retail_factory.warehouse.export import export_marts
    from retail_factory.warehouse.loader import RawLoader

    day, history = days[-1], len(days) - 1
    for past in days[:-1]:
        RawLoader(service, warehouse).load_day(past, DOMAINS)
    dbt_build(days[-2], lookback_days=history)
    # The day's build then finds the parse a daily run finds (the day before built with the same vars):
    # a new --vars would make dbt parse the whole project again, ~13 s that no daily run pays.
    run_dbt(["parse", *dbt_vars(lookback_days=3)])
    run_gate("raw_gate", days[-2])  # imports GX and warms its first validation: not the first size's cost
    rows = 0

    def load() -> int:
        nonlocal rows
        RawLoader(service, warehouse).load_day(day, DOMAINS)
        rows = day_raw_rows(warehouse, day)
        return rows

    def transform() -> int:
        dbt_build(day)
        return rows

    def gates() -> int:
        run_gate("raw_gate", day)
        run_gate("curated_gate", day)
        return rows

    def export() -> int:
        return sum(int(mart["rows"]) for mart in export_marts(warehouse, service, day).values())

    def forecast() -> int:
        return int(run_forecast(day, warehouse)["series"])

    def trace_refresh() -> int:
        build_genealogy(warehouse)
        return warehouse.query("select count(*) from marts.fct_lot_links")[1][0][0]

    for step, function in [("load", load), ("dbt build", transform), ("quality gates", gates), ("export", export),
                           ("forecast", forecast), ("trace refresh", trace_refresh)]:  # fmt: skip
        measure(step, function, results, **labels)


def dbt_build(run_date: dt.date, lookback_days: int = 3) -> None:
    """Models and data tests, on the warehouse the settings name (dbt's target of the same name)."""
    from retail_factory.warehouse.dbt import dbt_vars, run_dbt

    run_dbt(
        ["build", "--exclude-resource-type", "unit_test", *dbt_vars(lookback_days=lookback_days)], run_date=run_date
    )


def land(service, drop: Path, day: dt.date) -> int:
    from retail_factory.landing.lander import Lander
    from retail_factory.sources.contracts import ALL_CONTRACTS

    lander = Lander(service, run_id="bench-scale")
    for contract in ALL_CONTRACTS:
        lander.land_entity(contract, drop, day)
    return sum(1 for _ in drop.glob(f"*/*/{day.isoformat()}/*"))  # files, not rows: counted at load


def day_raw_rows(warehouse, day: dt.date) -> int:
    from retail_factory.warehouse.raw_tables import raw_tables

    return sum(warehouse.query(f"select count(*) from {table.qualified_name} where _ingest_date = ?", [day])[1][0][0]
               for table in raw_tables())  # fmt: skip


def growth(results: list[dict]) -> None:
    """Each step's exponent between consecutive sizes: log(time ratio) / log(rows ratio)."""
    print("\ngrowth between sizes (time ∝ rows^b):")
    keys = sorted({(r["engine"], r["step"]) for r in results})
    for engine, step in keys:
        runs = [r for r in results if (r["engine"], r["step"]) == (engine, step)]
        for small, large in itertools.pairwise(runs):
            if small["rows"] and large["rows"] > small["rows"]:
                rows, seconds = large["rows"] / small["rows"], large["seconds"] / small["seconds"]
                b = math.log(seconds) / math.log(rows)
                print(f"  {engine:<7}{step:<22} {small['size']} → {large['size']}: rows ×{rows:.1f}, "
                      f"time ×{seconds:.2f}, b = {b:.2f}")  # fmt: skip


def main() -> None:
    from retail_factory.devstack import Azurite

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="20x2000,200x2000", help="stores x products, comma-separated")
    parser.add_argument("--history", type=int, default=3, help="days landed and built before the measured day")
    parser.add_argument("--engines", default="duckdb,spark", help="duckdb, spark or both, comma-separated")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    args = parser.parse_args()
    azurite = Azurite(WORK / "azurite").start()
    os.environ["AIRFLOW_CONN_WASB_DEFAULT"] = azurite.airflow_connection()
    results: list[dict] = []
    try:
        for size in args.sizes.split(","):
            stores, products = (int(part) for part in size.lower().split("x"))
            run_size(stores, products, args.history, args.engines.split(","), results)
    finally:
        azurite.stop()
    growth(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nwork folder (delete when done): {WORK}")


if __name__ == "__main__":
    main()
