"""The factory on Spark: the spark warehouse (a Spark Thrift server, dbt-spark over thrift) loads
and builds what DuckDB does and passes the quality gates; forecasting runs on Spark; Spark reads
the curated exports.

The module's DuckDB warehouse is built from three landed days of the clean chain, which are loaded
into the Spark warehouse too by the same loader.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from retail_factory.config import DOMAINS
from retail_factory.storage import blob_service, empty_containers
from retail_factory.warehouse.connections import get_warehouse
from retail_factory.warehouse.export import PUBLIC_MARTS
from retail_factory.warehouse.fingerprint import (
    LOAD_TIME_COLUMNS,
    SCHEMAS,
    fingerprint_rows,
    fingerprints,
)
from retail_factory.warehouse.loader import RawLoader

from tests.conftest import SIM_START
from tests.integration.warehouse_helpers import environment, exported_files, land, run_models

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DAYS = [SIM_START + dt.timedelta(days=i) for i in range(3)]


@pytest.fixture(scope="module")
def duckdb_env(azurite, clean_chain: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A DuckDB warehouse built (models and seeds) from the clean chain's three days, and a Spark folder."""
    folder = tmp_path_factory.mktemp("spark-module")
    values = {
        "RETAIL_FACTORY_WAREHOUSE": "duckdb",
        "RETAIL_FACTORY_DUCKDB_PATH": str(folder / "w.duckdb"),
        "RETAIL_FACTORY_SPARK_DIR": str(folder / "spark"),
        # A few thousand rows: one task per shuffle in this module's in-process sessions. The
        # session-wide Thrift server (conftest) keeps the default; 1 there measured no quicker.
        "RETAIL_FACTORY_SPARK_SHUFFLE_PARTITIONS": "1",
    }
    service = blob_service()
    empty_containers(service)
    with environment(values):
        for day in DAYS:
            land(service, clean_chain / "drop", day)
            RawLoader(service, get_warehouse()).load_day(day, DOMAINS)
        run_models(DAYS[-1])
    return values


def test_the_factory_runs_on_the_spark_warehouse(duckdb_env: dict[str, str], spark_thrift, api) -> None:
    """RETAIL_FACTORY_WAREHOUSE=spark: the loader fills Spark's raw tables from the same blobs, dbt
    (over thrift) builds the marts, both quality gates pass there with no query that loops over two
    tables, the genealogy and the forecast are computed there, the marts are exported from there,
    and every table holds the rows DuckDB's holds; lots trace the same, and the UI's pages read
    from Spark show what they show from DuckDB."""
    from retail_factory.forecasting.job import run_forecast
    from retail_factory.traceability.genealogy import build_genealogy
    from retail_factory.warehouse.export import export_marts

    compared = ("raw", "marts", "trace", "ml")
    with environment(duckdb_env):
        duckdb = get_warehouse()
        build_genealogy(duckdb)
        run_forecast(DAYS[-1], duckdb)
        on_duckdb = fingerprints(duckdb, compared)
        lot, traced_on_duckdb = _traces(duckdb)
        export_marts(duckdb, blob_service(), DAYS[-1])
        exported_from_duckdb = exported_files(DAYS[-1])
    on_spark = {**duckdb_env, **spark_thrift.environment(), "RETAIL_FACTORY_WAREHOUSE": "spark"}
    with environment(on_spark):
        spark = get_warehouse()
        spark.run_statements([f"drop database if exists {schema} cascade" for schema in SCHEMAS])
        before_any_run = api.get("/retail-factory/stockouts")  # Spark's "no such table": nothing yet
        assert before_any_run.status_code == 200 and "Nothing to show yet" in before_any_run.text
        service = blob_service()
        for day in DAYS:
            RawLoader(service, spark).load_day(day, DOMAINS)
        # Models and seeds: the data tests pass on Spark in `retail-factory run` (docs/architecture.md), and
        # add ~1 min here.
        results = run_models(DAYS[-1])
        gates, plans = _gates_and_their_plans(spark, DAYS[-1])
        build_genealogy(spark)
        run_forecast(DAYS[-1], spark)
        exported = export_marts(spark, service, DAYS[-1])  # the same blobs: Spark's files replace DuckDB's
        exported_from_spark = exported_files(DAYS[-1])
        on_spark_tables = fingerprints(spark, compared)
        _, traced_on_spark = _traces(spark)
        pages_from_spark = _pages(api, DAYS[-1], lot)
    with environment(duckdb_env):  # after Spark's gates: the quality page shows their reports too
        pages_from_duckdb = _pages(api, DAYS[-1], lot)
    assert {r["status"] for r in results["results"]} == {"success"}
    assert not [report.summary() for report in gates.values() if not report.passed or report.warnings]
    looping = {sql[:300]: loops for sql, plan in plans.items() if (loops := loops_over_tables(plan))}
    assert len(plans) > 100 and not looping, looping  # each check stays linear in its table's rows at scale
    assert {f"marts.{mart.name}" for mart in PUBLIC_MARTS} <= on_duckdb.keys()
    assert all(on_duckdb[table].rows for table in ("raw.retail__pos", "trace.lot_lineage", "ml.forecast_runs"))
    different = {name: (duckdb_table, on_spark_tables.get(name)) for name, duckdb_table in on_duckdb.items()
                 if on_spark_tables.get(name) != duckdb_table}  # fmt: skip
    assert not different, f"tables that differ between DuckDB and Spark: {different}"
    assert on_spark_tables.keys() == on_duckdb.keys()
    with environment(duckdb_env), get_warehouse().session(read_only=True) as query:
        day_rows = {mart.name: query(f"select count(*) from ({mart.select_sql('?')})",
                                     [DAYS[-1]] if mart.date_column else [])[1][0][0]
                    for mart in PUBLIC_MARTS}  # fmt: skip
    assert {name: export["rows"] for name, export in exported.items()} == day_rows
    # Spark wrote them itself: the same columns, of the same kinds, holding the same rows as DuckDB's.
    assert exported_from_spark == exported_from_duckdb
    assert traced_on_spark == traced_on_duckdb  # a lot traced forward and one backward: the same answers
    assert pages_from_spark == pages_from_duckdb


def _pages(api, day: dt.date, lot: str) -> dict[str, str]:
    """The plugin's pages as Airflow's API server serves them: the stockout board of the day, its
    first store's risks and plot, a lot's trace (its genealogy drawn) and the data quality page."""
    board = api.get("/retail-factory/stockouts", params={"date": day.isoformat()})
    store_link = re.search(r'href="(stockouts/[^"]+)"', board.text)
    assert board.status_code == 200 and store_link, board.text[-2000:]
    store = api.get(f"/retail-factory/{store_link[1].replace('&amp;', '&')}")
    plot = re.search(r'<img src="([^"]+)"', store.text)
    assert store.status_code == 200 and plot, store.text[-2000:]
    png = api.get(f"/retail-factory/stockouts/{plot[1].replace('&amp;', '&')}")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG"), png.text[-2000:]
    trace = api.get("/retail-factory/trace", params={"q": lot})
    assert trace.status_code == 200 and "<svg" in trace.text and lot in trace.text, trace.text[-2000:]
    quality = api.get("/retail-factory/quality")
    assert quality.status_code == 200, quality.text[-2000:]
    return {"board": board.text, "store": store.text, "trace": trace.text, "quality": quality.text}


def _gates_and_their_plans(warehouse, day: dt.date) -> tuple[dict, dict[str, str]]:
    """Both gates of a day on Spark, and Spark's physical plan of every query GX sent for them."""
    import sqlalchemy as sa
    from retail_factory.quality.gate import run_gate

    sent: dict[str, object] = {}  # GX's queries as sent (its own and the checks' SQL), with their parameters

    def remember(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().lower().startswith(("select", "with")):
            sent[statement] = parameters

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", remember)
    try:
        reports = {gate: run_gate(gate, day) for gate in ("raw_gate", "curated_gate")}
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", remember)
    plans = {}
    with warehouse.connect() as conn:
        cursor = conn.cursor()
        for statement, parameters in sent.items():
            cursor.execute(f"explain {statement}", parameters or None)
            plans[statement] = "\n".join(row[0] for row in cursor.fetchall())
    return reports, plans


_NODE = re.compile(r"^([ :]*?)([+:]- )(.*)$")  # a node of a physical plan as `explain` prints it
_ONE_ROW = re.compile(r"^(\w*Aggregate\(keys=\[\],|Scan OneRowRelation)")


def loops_over_tables(plan: str) -> list[str]:
    """The joins of a Spark physical plan that pair every row of a table with every row of another:
    a cartesian product, or a nested-loop join whose broadcast side is more than one row. Crossing a
    check's rows with a one-row aggregate (`cross join run`) is linear and passes; the null-aware
    `not in` of an older reference check (a nested loop over the reference table) did not."""
    nodes = _plan_nodes(plan)
    found = []
    for i, (_, text) in enumerate(nodes):
        if text.startswith("CartesianProduct"):
            found.append(text)
        elif text.startswith("BroadcastNestedLoopJoin"):
            sides = _children(nodes, i)
            if not _one_row(nodes, sides[0] if "BuildLeft" in text else sides[-1]):
                found.append(text)
    return found


def _plan_nodes(plan: str) -> list[tuple[int, str]]:
    """(column of the node's marker, its text) for each node; the root's children are at column 0."""
    nodes = []
    for line in plan.splitlines():
        if node := _NODE.match(line):
            nodes.append((len(node[1]), node[3]))
        elif line.strip() and not line.startswith("=="):
            nodes.append((-3, line.strip()))
    return nodes


def _children(nodes: list[tuple[int, str]], i: int) -> list[int]:
    below = []
    for j in range(i + 1, len(nodes)):
        if nodes[j][0] <= nodes[i][0]:
            break
        if nodes[j][0] == nodes[i][0] + 3:  # deeper: grandchildren, or subqueries in expressions
            below.append(j)
    return below


def _one_row(nodes: list[tuple[int, str]], i: int) -> bool:
    text, below = nodes[i][1], _children(nodes, i)
    if _ONE_ROW.match(text):
        return True
    if "Join" in text or text.startswith("CartesianProduct"):  # a join of one-row sides
        return all(_one_row(nodes, j) for j in below)
    return "Aggregate" not in text and len(below) == 1 and _one_row(nodes, below[0])


def _traces(warehouse) -> tuple[str, list[dict]]:
    """A lot that was made into others, traced forward, and one made from others, traced backward;
    the first lot's key is returned too (the trace page shows it)."""
    from retail_factory.traceability.trace import trace_lot

    _, edges = warehouse.query("select min(input_key), min(output_key) from trace.lot_edges")
    ((made_into, made_from),) = edges
    assert made_into and made_from
    return made_into, [
        trace_lot(lot, way, warehouse).to_dict() for lot, way in ((made_into, "forward"), (made_from, "backward"))
    ]


@pytest.fixture(scope="module")
def small_history(tmp_path_factory: pytest.TempPathFactory):
    """Ten weeks of two stores × twelve products, and a product listed five days ago (a fallback)."""
    import pandas as pd
    from retail_factory.forecasting.models import series_frame
    from retail_factory.sources.simulator import SimulationParams, simulate

    out = tmp_path_factory.mktemp("spark-forecast-history")
    simulate(SimulationParams(2, 12, 70, SIM_START, 5, out, 0.0))
    truth = pd.read_parquet(out / "truth" / "series")
    sold = truth[truth["is_store_open"]]
    frame = series_frame(pd.DataFrame({"store_id": sold["store_gln"], "gtin": sold["gtin"], "date": sold["date"],
                                       "demand": sold["sales"]}))  # fmt: skip
    listed = pd.date_range(frame["ds"].max() - pd.Timedelta(days=4), periods=5)
    new = pd.DataFrame({"unique_id": "NEW|00000000000017", "ds": listed, "y": [3.0, 0, 2, 5, 0]})
    return pd.concat([frame[["unique_id", "ds", "y"]], new], ignore_index=True)


def test_forecasting_on_spark_gives_the_local_forecast(small_history, tmp_path: Path) -> None:
    """RETAIL_FACTORY_FORECAST_ENGINE=spark runs the per-series backtest and forecasts as Spark jobs
    and gives exactly the local run's choices, backtest scores, means and quantiles."""
    import pandas as pd
    from retail_factory.forecasting.models import forecast_demand
    from retail_factory.warehouse.spark import spark_session

    local = forecast_demand(small_history)
    on_spark = {"RETAIL_FACTORY_FORECAST_ENGINE": "spark", "RETAIL_FACTORY_SPARK_DIR": str(tmp_path)}
    with environment(on_spark), spark_session(catalog=False) as spark:
        distributed = forecast_demand(small_history)
        spark_jobs = spark.sparkContext.statusTracker().getJobIdsForGroup()
    assert len(spark_jobs) >= 3  # the backtest and each chosen model's forecast ran on Spark
    assert distributed.chosen == local.chosen and len(set(local.chosen.values())) > 1
    assert local.values["fallback"].any() and not local.values["fallback"].all()
    pd.testing.assert_frame_equal(distributed.values, local.values)
    pd.testing.assert_frame_equal(distributed.backtest, local.backtest)


def test_curated_exports_are_read_back_by_duckdb_and_by_spark(duckdb_env: dict[str, str], azurite, tmp_path: Path):
    """The Parquet exports under curated/<mart>/date=D/ hold each date's rows, and the engines
    users bring read them as one table partitioned by date: DuckDB straight from Blob (adlfs as
    its filesystem), Spark with its own Parquet reader (from a copy: reading Blob in place needs
    the hadoop-azure jars a Databricks or Synapse cluster has, which cannot be downloaded here)."""
    import adlfs
    import duckdb
    from retail_factory.warehouse.export import export_marts
    from retail_factory.warehouse.fingerprint import table_fingerprint
    from retail_factory.warehouse.spark import spark_session

    with environment(duckdb_env):
        warehouse = get_warehouse()
        for day in DAYS:
            export_marts(warehouse, blob_service(), day)
        with warehouse.session(read_only=True) as query:
            counts = {mart.name: {day.isoformat(): query(f"select count(*) from ({mart.select_sql('?')})",
                                                         [day] if mart.date_column else [])[1][0][0]
                                  for day in DAYS} for mart in PUBLIC_MARTS}  # fmt: skip
            sales = table_fingerprint(query, "marts.fct_sales_daily")
            columns = query("select * from marts.fct_sales_daily limit 0")[0]
    sales_columns = sorted(c for c in columns if c not in LOAD_TIME_COLUMNS)  # as table_fingerprint has them

    blob = adlfs.AzureBlobFileSystem(connection_string=azurite.connection_string)
    files = {name: len(blob.glob(f"curated/{name}/date=*/{name}.parquet")) for name in counts}
    assert set(files.values()) == {len(DAYS)}  # a file per date, an empty one included
    expected = {name: {day: rows for day, rows in days.items() if rows} for name, days in counts.items()}
    with duckdb.connect() as con:  # closed at once, as the README's example does
        con.register_filesystem(blob)
        by_duckdb = {name: dict(con.sql(
            f"select cast(date as varchar), count(*) from read_parquet('abfs://curated/{name}/*/*.parquet',"
            " hive_partitioning = true) group by 1").fetchall()) for name in expected}  # fmt: skip
        sales_files = "read_parquet('abfs://curated/fct_sales_daily/*/*.parquet', hive_partitioning = true)"
        duckdb_sales = con.sql(f"select {', '.join(sales_columns)} from {sales_files}").fetchall()

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Query the curated tables")[1].split("```python\n")[1].split("```")[0]
    account = {"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string}
    printed = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, timeout=120,
                             env=os.environ | account)  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    assert all(day.isoformat() in printed.stdout for day in DAYS), printed.stdout  # the README's example runs

    mirror = tmp_path / "curated"
    blob.get("curated/", str(mirror), recursive=True)
    with spark_session(catalog=False) as spark:
        tables = {name: spark.read.parquet(str(mirror / name)) for name in expected}
        by_spark = {name: {str(r["date"]): r["count"] for r in t.groupBy("date").count().collect()}
                    for name, t in tables.items()}  # fmt: skip
        spark_sales = [tuple(row) for row in tables["fct_sales_daily"].select(*sales_columns).collect()]

    assert by_duckdb == expected and by_spark == expected
    assert sum(counts["fct_sales_daily"].values()) == sales.rows > 0
    assert fingerprint_rows(duckdb_sales) == sales and fingerprint_rows(spark_sales) == sales


def test_the_in_process_spark_target_loads_the_seeds_text_as_written(tmp_path: Path) -> None:
    """dbt-spark's session method (the `spark_session` target: Spark inside dbt's process) loads
    every seed whole, its text with quotes included (``spark__load_csv_rows`` writes literals)."""
    import pandas as pd
    from retail_factory.config import get_settings
    from retail_factory.warehouse.dbt import run_dbt
    from retail_factory.warehouse.spark import spark_session

    with environment({"RETAIL_FACTORY_SPARK_DIR": str(tmp_path / "spark")}):
        results = run_dbt(["seed"], target="spark_session")
        seed_files = (get_settings().dbt_project_dir / "seeds").glob("*.csv")
        seeds = {path.stem: pd.read_csv(path, dtype=str) for path in seed_files}
        with spark_session() as spark:
            loaded = {name: spark.table(f"reference.{name}").collect() for name in seeds}
    statuses = {r["unique_id"]: r["status"] for r in results["results"] if r["unique_id"].startswith("seed.")}
    assert statuses == {f"seed.retail_factory.{name}": "success" for name in seeds}
    assert {name: len(frame) for name, frame in loaded.items()} == {name: len(frame) for name, frame in seeds.items()}
    holidays = {row["holiday_name"] for row in loaded["french_public_holidays"]}
    assert holidays == set(seeds["french_public_holidays"]["holiday_name"]) and "New Year's Day" in holidays


def test_rows_read_back_from_spark_keep_the_order_by_across_its_parts(spark_warehouse) -> None:
    """``query_frame`` reads the Parquet parts Spark wrote, one per task: an ordered result spread
    over several parts (the hint makes four) comes back in the query's order (the forecast's
    history is read ordered by store, product and day)."""
    sql = (
        "select /*+ REPARTITION_BY_RANGE(4, k) */ id, cast(id % 7 as int) as k"
        " from range(0, 100000, 1, 4) order by k, id desc"
    )
    with spark_warehouse._written_by_spark(sql, []) as parts:
        assert len(parts) > 1  # else the order of the parts would not be tested
    frame = spark_warehouse.query_frame(sql)
    expected = frame.sort_values(["k", "id"], ascending=[True, False], ignore_index=True)
    assert len(frame) == 100_000 and frame.equals(expected)
