"""How much a day of transformation costs, and against what (printed, never asserted).

For a simulated chain, ``--history`` days are landed, loaded and built (dbt, full); then the next
day D is measured, each time from the same saved warehouse:

* load D (raw blobs → raw.*), then ``dbt build`` for D (models + data tests), ``dbt run`` (models);
* the same models as plain SQL run directly in DuckDB (dbt's compiled SQL, views/tables/
  delete+insert in dependency order, no tests): the engine's own limit;
* the transform DAG's dbt task group through Cosmos (``dag.test``), against the plain ``dbt build``;
* and the daily cost (load + dbt build of one day) with ``--long-history`` days behind it (the
  dates between built in order, 30 per dbt build; moved up to 6 days later so that both days
  fall on the same weekday) against ``--history`` days: incremental models should keep it flat.
  Each day's build prints where its time went (models, tests, slowest nodes).

The issue's tier is 200 stores × 2,000 products with 30 and 180 days of history
(``--stores 200 --products 2000``; about 1 h 45 min here, and tens of GB in the work folder under
the temp dir: landed blobs, the warehouse and its saved copies); smaller tiers run the same steps.

    .venv/bin/python bench/transform.py --stores 20 --products 300 --history 30 --long-history 90
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="retail-factory-bench-transform-"))
os.environ["AIRFLOW_HOME"] = str(WORK / "airflow")
os.environ["RETAIL_FACTORY_DUCKDB_PATH"] = str(WORK / "warehouse.duckdb")
os.environ["RETAIL_FACTORY_DBT_TARGET_DIR"] = str(WORK / "dbt-target")
os.environ["RETAIL_FACTORY_WAREHOUSE"] = "duckdb"

from retail_factory.config import DOMAINS, apply_airflow_environment, get_settings  # noqa: E402

apply_airflow_environment()

START = dt.date(2025, 3, 3)
LOOKBACK_DAYS = 3  # the dbt project's default: a dated build rebuilds the day and the 3 before


def timed(function, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def warehouse_files() -> list[Path]:
    path = get_settings().duckdb_path
    return [path, path.with_name(path.name + ".wal")]


def save(name: str) -> None:
    for path in warehouse_files():
        if path.exists():
            shutil.copyfile(path, WORK / f"{name}{path.suffix}")


def restore(name: str) -> None:
    for path in warehouse_files():
        path.unlink(missing_ok=True)
        saved = WORK / f"{name}{path.suffix}"
        if saved.exists():
            shutil.copyfile(saved, path)


def dbt(command: str, day: dt.date, lookback_days: int = LOOKBACK_DAYS) -> None:
    from retail_factory.warehouse.dbt import dbt_vars, run_dbt

    only_data = ["--exclude-resource-type", "unit_test"] if command == "build" else []
    run_dbt([command, *dbt_vars(lookback_days=lookback_days), *only_data], run_date=day)


def catch_up(days: list[dt.date], chunk: int = 30) -> None:
    """Build ``days`` in order, ``chunk`` dates per dbt build (a window of that many days), as a backfill would."""
    for start in range(0, len(days), chunk):
        dates = days[start : start + chunk]
        dbt("build", dates[-1], lookback_days=len(dates) - 1)


def compiled_models(day: dt.date) -> list[dict]:
    """dbt's compiled SQL of every model for ``day``, in dependency order (compiled before timing)."""
    dbt("compile", day)
    manifest = json.loads((get_settings().dbt_target_dir / "manifest.json").read_text())
    models = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    done: set[str] = set()
    order: list[dict] = []
    while len(order) < len(models):
        for key, node in models.items():
            if key not in done and all(p in done or p not in models for p in node["depends_on"]["nodes"]):
                order.append(node)
                done.add(key)
    return order


def plain_sql(order: list[dict]) -> None:
    """The compiled models run straight in DuckDB: views, tables, delete+insert, no tests."""
    import duckdb

    con = duckdb.connect(str(get_settings().duckdb_path))
    try:
        for node in order:
            run_model(con, node)
    finally:
        con.close()


def run_model(con, node: dict) -> None:
    relation, sql = node["relation_name"], node["compiled_code"]
    materialized = node["config"]["materialized"]
    if materialized == "view":
        con.execute(f"create or replace view {relation} as {sql}")
    elif materialized == "incremental":
        # append models (base_, fct_rejected_rows) replace their window's ingest dates in a pre-hook
        keys = node["config"].get("unique_key") or "ingest_date"
        keys = ", ".join([keys] if isinstance(keys, str) else keys)
        con.execute(f"create or replace temp table _new as {sql}")
        con.execute(f"delete from {relation} where ({keys}) in (select {keys} from _new)")
        con.execute(f"insert into {relation} by name select * from _new")
    else:
        con.execute(f"create or replace table {relation} as {sql}")


def cosmos_build(day: dt.date) -> tuple[float, float]:
    """Wall times of the transform DAG's dbt task group for ``day`` (dag.test) and of its producer task.

    ``dag.test`` runs one task at a time, so the ~120 watcher tasks run after the producer's
    ``dbt build``; under a scheduler they wait in the triggerer while it runs.
    """
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from retail_factory.runner import load_dags, prepare_airflow, run_dag

    home = prepare_airflow()
    dag = load_dags(("transform",))["transform"]
    result = run_dag(dag, day, home / "logs" / "bench.log")
    with create_session() as session:
        tis = session.query(TaskInstance).filter(TaskInstance.run_id == result.run_id).all()
        dbt_tis = [ti for ti in tis if ti.task_id.startswith("dbt.") and ti.start_date and ti.end_date]
        if not result.ok:
            print(f"    (transform run {result.state}: {result.failed_tasks[:5]})")
        producer = next(t for t in dbt_tis if t.task_id.endswith("dbt_producer_watcher"))
        group = (max(t.end_date for t in dbt_tis) - min(t.start_date for t in dbt_tis)).total_seconds()
        return group, (producer.end_date - producer.start_date).total_seconds()


def land_and_load(service, drop: Path, days: list[dt.date], load: bool) -> None:
    from retail_factory.landing.lander import Lander
    from retail_factory.sources.contracts import ALL_CONTRACTS
    from retail_factory.warehouse.connections import get_warehouse
    from retail_factory.warehouse.loader import RawLoader

    lander = Lander(service, run_id="bench")
    for day in days:
        for contract in ALL_CONTRACTS:
            lander.land_entity(contract, drop, day)
        if load:
            RawLoader(service, get_warehouse()).load_day(day, DOMAINS)


def daily_cost(service, day: dt.date, slowest: int) -> tuple[float, float]:
    from retail_factory.warehouse.connections import get_warehouse
    from retail_factory.warehouse.loader import RawLoader

    load_seconds, _ = timed(RawLoader(service, get_warehouse()).load_day, day, DOMAINS)
    build_seconds, _ = timed(dbt, "build", day)
    print_node_times(slowest)
    return load_seconds, build_seconds


def same_weekday(history: int, long_history: int) -> int:
    """``long_history`` or the next few days, so both measured days fall on the same weekday.

    A day's build rebuilds its window (the day and the 3 before), and the simulated chain sells
    about six times more on a Saturday than on a Sunday: a Saturday's window holds about 1.5 times
    the rows of a Wednesday's, and comparing them would measure volume, not history.
    """
    return long_history + (history - long_history) % 7


def window_rows(day: dt.date, lookback_days: int = LOOKBACK_DAYS) -> int:
    """Raw rows in the ingest window a dated build of ``day`` rebuilds (its volume, to compare days by)."""
    import duckdb
    from retail_factory.warehouse.raw_tables import raw_tables

    with duckdb.connect(str(get_settings().duckdb_path), read_only=True) as con:
        start = day - dt.timedelta(days=lookback_days)
        return sum(
            con.execute(
                f"select count(*) from {table.qualified_name} where _ingest_date between ? and ?", [start, day]
            ).fetchone()[0]
            for table in raw_tables()
        )


def print_node_times(slowest: int) -> None:
    """Where the last dbt build spent its time: models and tests, and the slowest nodes."""
    results = json.loads((get_settings().dbt_target_dir / "run_results.json").read_text())["results"]
    by_kind: dict[str, float] = {}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + result["execution_time"]
    print("  node time: " + ", ".join(f"{kind}s {seconds:.1f} s" for kind, seconds in sorted(by_kind.items())))
    top = sorted(results, key=lambda r: -r["execution_time"])[:slowest]
    print("  slowest: " + ", ".join(f"{r['unique_id'].split('.')[2]} {r['execution_time']:.1f}" for r in top))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--history", type=int, default=30)
    parser.add_argument("--long-history", type=int, default=180, help="0: skip the long-history run")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--skip-cosmos", action="store_true", help="do not run the DAG through Cosmos")
    parser.add_argument("--slowest", type=int, default=6, help="how many of a build's slowest nodes to print")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (warehouses saved before each day)")
    args = parser.parse_args()

    from retail_factory.devstack import Azurite
    from retail_factory.sources.simulator import SimulationParams, simulate
    from retail_factory.storage import blob_service, ensure_containers

    long_history = same_weekday(args.history, args.long_history)
    days = [START + dt.timedelta(days=i) for i in range(max(args.history, long_history) + 1)]
    print(f"chain {args.stores} stores × {args.products} products; history {args.history} and {long_history} days")
    seconds, _ = timed(
        simulate, SimulationParams(args.stores, args.products, len(days), START, args.seed, WORK / "sim")
    )
    print(f"simulated {len(days)} days in {seconds:.0f} s")
    azurite = Azurite(WORK / "azurite").start()
    os.environ["AIRFLOW_CONN_WASB_DEFAULT"] = azurite.airflow_connection()
    try:
        service = blob_service()
        ensure_containers(service)
        drop = WORK / "sim" / "drop"
        short_day, long_day = days[args.history], days[long_history]

        seconds, _ = timed(land_and_load, service, drop, days[: args.history], True)
        build_history_s, _ = timed(dbt, "build", days[args.history - 1])
        save("history")
        print(f"landed and loaded {args.history} days of history in {seconds:.0f} s, built in {build_history_s:.0f} s")
        land_and_load(service, drop, [short_day], False)

        load_s, build_s = daily_cost(service, short_day, args.slowest)
        short_rows = window_rows(short_day)
        save("loaded")
        restore("loaded")
        run_s, _ = timed(dbt, "run", short_day)
        restore("loaded")
        models = compiled_models(short_day)
        plain_s, _ = timed(plain_sql, models)
        print(f"\nday {short_day} on {args.history} days of history")
        print(f"  load {load_s:.1f} s; dbt build {build_s:.1f} s (load + build {load_s + build_s:.1f} s)")
        print(f"  raw rows in the window it rebuilds: {short_rows:,}")
        print(f"  dbt run (models only) {run_s:.1f} s; the same SQL straight in DuckDB {plain_s:.1f} s")
        print(f"  ratio dbt run / plain SQL = {run_s / plain_s:.2f}; dbt build / plain SQL = {build_s / plain_s:.2f}")
        if not args.skip_cosmos:
            restore("history")
            group_s, producer_s = cosmos_build(short_day)
            print(f"  Cosmos (watcher): producer task (its `dbt build`) {producer_s:.1f} s", end="")
            print(f" → ratio to plain dbt build = {producer_s / build_s:.2f} (aim ≤ 1.3)")
            print(f"  whole dbt task group under dag.test (watchers one by one after it) {group_s:.1f} s", end="")
            print(f" → {group_s / build_s:.2f}")
        if long_history <= args.history:
            return 0

        restore("history")
        seconds, _ = timed(land_and_load, service, drop, days[args.history : long_history], True)
        catch_up_s, _ = timed(catch_up, days[args.history : long_history])
        more = long_history - args.history
        print(f"\nlanded and loaded {more} more days in {seconds:.0f} s, built in {catch_up_s:.0f} s")
        land_and_load(service, drop, [long_day], False)
        if args.keep:  # over 10 GB at 200 x 2,000 by then: copy it only when asked
            save("long-history")
        # The day's build then finds the parse a daily run finds, as the short history's did: catch_up's
        # wider windows are other --vars, which would make dbt parse the whole project again (~13 s).
        dbt("parse", long_day)
        long_load, long_build = daily_cost(service, long_day, args.slowest)
        long_rows = window_rows(long_day)
        print(f"\nday {long_day} on {long_history} days of history")
        print(f"  load {long_load:.1f} s; dbt build {long_build:.1f} s (load + build {long_load + long_build:.1f} s)")
        print(f"  raw rows in the window it rebuilds: {long_rows:,} ({long_rows / short_rows:.2f} × day {short_day}'s)")
        ratio = (long_load + long_build) / (load_s + build_s)
        print(f"  daily cost ratio {long_history} / {args.history} days of history = {ratio:.2f} (aim ≤ 1.3)")
    finally:
        azurite.stop()
        if args.keep:
            print(f"\nwork folder kept: {WORK}")
        else:
            shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
