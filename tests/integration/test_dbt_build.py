"""The whole dbt project built for real on DuckDB and on PostgreSQL from landed, loaded files.

Three simulated days are landed in Azurite, loaded into both warehouses and built with dbt
(models, data tests, unit tests). The public marts must hold the same rows on both, a date must
rebuild to identical tables, and every documented column must exist (and the reverse).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from retail_factory import cli
from retail_factory.config import DOMAINS, get_settings
from retail_factory.storage import blob_service, empty_containers
from retail_factory.warehouse.connections import get_warehouse
from retail_factory.warehouse.dbt import run_dbt
from retail_factory.warehouse.export import PUBLIC_MARTS
from retail_factory.warehouse.fingerprint import LOAD_TIME_COLUMNS, Fingerprint, fingerprint_rows, table_fingerprint
from retail_factory.warehouse.loader import RawLoader

from tests.conftest import SIM_START
from tests.integration.warehouse_helpers import build, environment, land_and_load, run_models

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DAYS = [SIM_START + dt.timedelta(days=i) for i in range(3)]


def fingerprint(table: str, schema: str = "marts") -> Fingerprint:
    """Row count and a hash of the sorted rows, equal for equal contents on either warehouse."""
    with get_warehouse().session() as query:
        return table_fingerprint(query, f"{schema}.{table}")


def all_fingerprints() -> dict[str, Fingerprint]:
    return {mart.name: fingerprint(mart.name) for mart in PUBLIC_MARTS}


@pytest.fixture(scope="module")
def built(azurite, postgres, clean_chain: Path) -> dict[str, dict[str, Any]]:
    """Both warehouses built from the same three landed days; what each looked like after the build."""
    service = blob_service()
    empty_containers(service)
    postgres.create_database("dbt_build")
    folder = Path(tempfile.mkdtemp(prefix="retail-factory-dbt-build-"))
    targets = {
        "duckdb": {"RETAIL_FACTORY_WAREHOUSE": "duckdb", "RETAIL_FACTORY_DUCKDB_PATH": str(folder / "w.duckdb")},
        "postgres": {
            "RETAIL_FACTORY_WAREHOUSE": "postgres",
            **postgres.environment(),
            "RETAIL_FACTORY_PG_DATABASE": "dbt_build",
        },
    }
    results: dict[str, dict[str, Any]] = {}
    landed = False
    for kind, values in targets.items():
        with environment(values):
            if not landed:
                land_and_load(service, clean_chain / "drop", DAYS)
                landed = True
            else:
                for day in DAYS:
                    RawLoader(service, get_warehouse()).load_day(day, DOMAINS)
            build(DAYS[-1])
            results[kind] = {"env": values, "marts": all_fingerprints()}
    return results


def test_public_marts_are_not_empty(built) -> None:
    empty = [name for name, mart in built["duckdb"]["marts"].items() if mart.rows == 0]
    assert empty in ([], ["fct_rejected_rows"]), f"empty marts after three clean days: {empty}"


def test_duckdb_and_postgres_build_the_same_marts(built) -> None:
    duck, pg = built["duckdb"]["marts"], built["postgres"]["marts"]
    different = {name: (duck[name], pg[name]) for name in duck if duck[name] != pg[name]}
    assert not different, f"marts that differ between DuckDB and PostgreSQL: {different}"


def test_spark_builds_the_same_marts(built, tmp_path: Path) -> None:
    """The same project on Spark (dbt-spark in a local session): the raw tables the DuckDB build
    read, copied into Spark, give every public mart the same rows (its singular data tests pass there too)."""
    from retail_factory.warehouse.spark import copy_raw_tables, spark_session

    with environment({**built["duckdb"]["env"], "RETAIL_FACTORY_SPARK_DIR": str(tmp_path / "spark")}):
        duckdb = get_warehouse()
        with spark_session() as spark:
            copied = copy_raw_tables(duckdb, spark, tmp_path / "raw-parquet")
        with duckdb.session(read_only=True) as query:
            raw_rows = {name: query(f"select count(*) from raw.{name}")[1][0][0] for name in copied}
        assert copied == raw_rows and copied["retail__pos"] > 0
        # Models, seeds and the singular data tests; the ~430 generic ones (not_null, unique,
        # relationships: dbt's own SQL) add ~1.5 min here and passed on Spark by hand (docs/architecture.md).
        results = run_dbt(["build", "--vars", json.dumps({"run_date": DAYS[-1].isoformat()}),
                           "--exclude-resource-type", "unit_test", "--exclude", "test_type:generic"],
                          target="spark")  # fmt: skip
        with duckdb.session(read_only=True) as query:  # compared in DuckDB's column order
            columns = {mart.name: [c for (c,) in query(
                "select column_name from information_schema.columns where table_schema = 'marts'"
                " and table_name = ? order by ordinal_position", [mart.name])[1]] for mart in PUBLIC_MARTS}  # fmt: skip
        with spark_session() as spark:
            spark_marts = {
                name: fingerprint_rows([tuple(row) for row in spark.table(f"marts.{name}").select(*kept).collect()])
                for name, kept in ((n, [c for c in cs if c not in LOAD_TIME_COLUMNS]) for n, cs in columns.items())
            }
    assert {r["status"] for r in results["results"]} <= {"success", "pass", "warn"}
    different = {name: (mart, spark_marts[name]) for name, mart in built["duckdb"]["marts"].items()
                 if spark_marts[name] != mart}  # fmt: skip
    assert not different, f"marts that differ between DuckDB and Spark: {different}"


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_rebuilding_a_date_gives_identical_tables(built, kind: str) -> None:
    with environment(built[kind]["env"]):
        if kind == "duckdb":  # the same SQL on PostgreSQL: its harder case below is enough there
            build(DAYS[-1])  # the same date again (a retry, a re-run)
            assert all_fingerprints() == built[kind]["marts"]
        build(DAYS[0])  # an older date re-run later (its window is rebuilt, nothing else moves)
        assert all_fingerprints() == built[kind]["marts"]


def test_a_build_without_a_run_date_rebuilds_the_newest_dates_once(built) -> None:
    """By hand (`dbt build`, no run_date) an incremental model rebuilds its newest dates: deleted
    by the pre-hook, then read again, never twice (the window is fixed before the delete)."""
    with environment(built["duckdb"]["env"]):
        counted = "select count(*), count(distinct source_blob || '#' || source_row) from staging.base_retail__pos"
        before = get_warehouse().query(counted)[1][0]
        for _ in range(2):
            run_dbt(["build", "--select", "base_retail__pos", "base_retail__products"])  # with their unique tests
        assert get_warehouse().query(counted)[1][0] == before and before[0] == before[1]


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_unit_tests_pass_on_both_warehouses(built, kind: str) -> None:
    with environment(built[kind]["env"]):
        results = run_dbt(["test", "--select", "test_type:unit"])
    assert len(results["results"]) >= 20  # they ran (and run_dbt raised if any failed)


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_clean_days_pass_both_quality_gates(built, kind: str) -> None:
    """Every GX suite runs on both warehouses, and clean days pass (faults: test_quality_gates.py)."""
    from retail_factory.quality.gate import run_gate

    with environment(built[kind]["env"]):
        reports = {(gate, day): run_gate(gate, day) for day in DAYS for gate in ("raw_gate", "curated_gate")}
    failed = {key: report.summary() for key, report in reports.items() if not report.passed}
    assert not failed
    errors = [w.describe() for r in reports.values() for w in r.warnings if w.error]
    assert not errors  # a check that cannot be computed on a warehouse is a bug, even as a warning
    raw, curated = reports[("raw_gate", DAYS[-1])], reports[("curated_gate", DAYS[-1])]
    assert {"raw.retail__pos", "raw.retail__stock", "raw._load_log"} <= set(raw.validated)
    assert {"marts.fct_sales_daily", "marts.fct_inventory_daily", "marts.dim_products"} <= set(curated.validated)
    assert all(counts["expectations"] > 0 for r in reports.values() for counts in r.validated.values())


def test_every_column_is_documented_and_every_documented_column_exists(built) -> None:
    with environment(built["duckdb"]["env"]):
        run_dbt(["docs", "generate"])
    target = get_settings().dbt_target_dir
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))["nodes"]
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    problems = []
    for unique_id, node in catalog.items():
        if not unique_id.startswith("model."):
            continue
        built_columns = {name.lower() for name in node["columns"]}
        documented = {name.lower() for name in manifest[unique_id]["columns"]}
        if built_columns - documented:
            problems.append(f"{unique_id}: undocumented {sorted(built_columns - documented)}")
        if documented - built_columns:
            problems.append(f"{unique_id}: documented but missing {sorted(documented - built_columns)}")
    assert not problems, problems


README = Path(__file__).parents[2] / "README.md"


def readme_commands(prefix: str, section: str = "## Query the curated tables", text: str | None = None) -> list[str]:
    part = (text or README.read_text(encoding="utf-8")).split(section)[1].split("\n## ")[0]
    commands = [line for line in part.splitlines() if line.startswith(prefix)]
    assert commands, f"no `{prefix}` example in the README section"
    return commands


def test_readme_query_examples_run_on_duckdb(built, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    with environment(built["duckdb"]["env"]):
        for command in readme_commands(".venv/bin/retail-factory sql"):
            assert cli.main(shlex.split(command)[1:]) == 0, command
            lines = capsys.readouterr().out.splitlines()
            may_be_empty = "fct_rejected_rows" in command  # clean data: nothing rejected
            assert len(lines) >= (2 if may_be_empty else 3), (command, lines)


def test_nutrition_examples_run_and_say_what_the_simulation_hid(
    built, clean_chain: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's and docs/nutrition.md's queries run; the catalog's product whose sugars exceed
    its carbohydrates (the simulator's supplier typo) is graded unknown and listed with its file."""
    import pandas as pd

    nutrition_doc = (README.parent / "docs" / "nutrition.md").read_text(encoding="utf-8")
    commands = readme_commands(".venv/bin/retail-factory sql", "## Eat better")
    commands += readme_commands(".venv/bin/retail-factory sql", "## The Nutri-Score", nutrition_doc)
    commands += readme_commands(".venv/bin/retail-factory sql", "## Where products come from", nutrition_doc)
    commands += readme_commands(".venv/bin/retail-factory sql", "## Healthier swaps", nutrition_doc)
    capsys.readouterr()
    with environment(built["duckdb"]["env"]):
        for command in commands:
            assert cli.main(shlex.split(command)[1:]) == 0, command
            lines = capsys.readouterr().out.splitlines()
            assert len(lines) >= 3, (command, lines)  # a header, a rule, rows
        _, rows = get_warehouse().query(
            "select gtin, rejection_code, source_blob, source_row from marts.fct_nutrition_rejections"
        )
        _, grades = get_warehouse().query("select gtin, nutriscore_grade from marts.dim_products")
    products = pd.read_parquet(clean_chain / "truth" / "world" / "products.parquet")
    typos = set(products.loc[products["nutrition_error"].notna(), "gtin"].astype(str))
    assert typos and {row[0] for row in rows} == typos
    assert all(row[1] == "inconsistent" and "/products_" in row[2] and row[3] >= 1 for row in rows)
    grade_of = dict(grades)
    assert {grade_of[gtin] for gtin in typos} == {"unknown"}
    assert {"a", "b", "c", "d", "e", "not-applicable"} <= set(grade_of.values())


def test_readme_psql_examples_run_on_postgres(built) -> None:
    env = os.environ | built["postgres"]["env"]
    for command in readme_commands("psql"):
        done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "(0 rows)" not in done.stdout and "rows)" in done.stdout, done.stdout


def test_odd_deliveries_have_the_documented_outcomes(azurite, clean_chain: Path, tmp_path: Path) -> None:
    """A late file, the same rows in two files, and an entity with no file, end to end on DuckDB."""
    import shutil

    drop = tmp_path / "drop"
    shutil.copytree(clean_chain / "drop", drop)
    first, second = DAYS[0], DAYS[1]
    pos_files = sorted((drop / "retail" / "pos" / first.isoformat()).glob("*.csv"))
    late = pos_files[0]
    held_back = late.read_bytes()
    late.unlink()  # store A's till file for day 1 arrives late
    copy_lines = pos_files[1].read_text(encoding="utf-8").splitlines(keepends=True)[1:3]
    with pos_files[2].open("a", encoding="utf-8") as other:
        other.writelines(copy_lines)  # two of store B's lines also sent inside store C's file
    shutil.rmtree(drop / "retail" / "promotions" / second.isoformat())  # no promotions file on day 2

    service = blob_service()
    empty_containers(service)
    with environment({"RETAIL_FACTORY_WAREHOUSE": "duckdb", "RETAIL_FACTORY_DUCKDB_PATH": str(tmp_path / "w.duckdb")}):
        land_and_load(service, drop, [first, second])
        build(second)
        warehouse = get_warehouse()
        _, outcome = warehouse.query("select count(*) from raw.retail__promotions where _ingest_date = ?", [second])
        assert outcome[0][0] == 0
        _, rejected = warehouse.query(
            "select rejection_code, count(*) from marts.fct_rejected_rows where source_table = 'retail__pos' group by 1"
        )
        assert dict(rejected) == {"duplicate_key": 2}  # the second copy of each line, with its reason
        store_a = late.name.split("_")[1]
        count_a = "select count(*) from marts.fct_sales_daily where store_id = ? and sold_date = ?"
        assert warehouse.query(count_a, [store_a, first])[1][0][0] == 0
        day_two_sql = "select * from marts.fct_sales_daily where sold_date = ? order by store_id, gtin"
        day_two = warehouse.query(day_two_sql, [second])[1]
        assert day_two

        late.write_bytes(held_back)  # the late file arrives; its date is landed, loaded and built again
        land_and_load(service, drop, [first])
        build(first)
        assert warehouse.query(count_a, [store_a, first])[1][0][0] > 0
        assert warehouse.query(day_two_sql, [second])[1] == day_two  # the other date did not move


def incremental_tables() -> list[tuple[str, str]]:
    """(schema, name) of every incremental model: staging base, intermediate and marts."""
    manifest = json.loads((get_settings().dbt_target_dir / "manifest.json").read_text(encoding="utf-8"))
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    return sorted((node["schema"], node["name"]) for node in models if node["config"]["materialized"] == "incremental")


def test_day_by_day_builds_equal_one_full_build(azurite, clean_chain: Path, tmp_path: Path) -> None:
    """The incremental models and the marts, built one date at a time, hold what a full build holds,
    also for keys delivered again on a later date (judged against the dates already built)."""
    import shutil

    drop = tmp_path / "drop"
    shutil.copytree(clean_chain / "drop", drop)
    first, second, third = DAYS
    orders = [
        drop / "supply" / "store_orders" / day.isoformat() / f"store_orders_{day.isoformat()}.csv" for day in DAYS
    ]
    resent = orders[0].read_text(encoding="utf-8").splitlines(keepends=True)[1:3]
    with orders[1].open("a", encoding="utf-8") as later:  # two order lines of day 1 sent again on day 2
        later.writelines(line.replace(f"{first.isoformat()}T", f"{second.isoformat()}T") for line in resent)
    documents = [sorted((drop / "producer" / "epcis" / day.isoformat()).glob("*.jsonld")) for day in (first, third)]
    early = json.loads(documents[0][0].read_text(encoding="utf-8"))["epcisBody"]["eventList"][0]
    late_document = json.loads(documents[1][0].read_text(encoding="utf-8"))
    late_document["epcisBody"]["eventList"].append(early)  # an event of day 1 sent again on day 3
    documents[1][0].write_text(json.dumps(late_document), encoding="utf-8")

    service = blob_service()
    empty_containers(service)
    with environment({"RETAIL_FACTORY_WAREHOUSE": "duckdb", "RETAIL_FACTORY_DUCKDB_PATH": str(tmp_path / "w.duckdb")}):
        land_and_load(service, drop, DAYS)
        for day in DAYS:  # no lookback: each run sees its own date only, the others are "before"
            run_models(day, lookback_days=0)  # what the models hold; their data tests run elsewhere
        tables = sorted(set(incremental_tables()) | {("marts", m.name) for m in PUBLIC_MARTS})
        day_by_day = {table: fingerprint(table[1], table[0]) for table in tables}
        _, rejected = get_warehouse().query(
            "select source_table, rejection_reason from marts.fct_rejected_rows order by 1, 2"
        )
        run_models(third, "--full-refresh")
        full = {table: fingerprint(table[1], table[0]) for table in tables}

    different = [table for table in tables if day_by_day[table] != full[table]]
    assert not different, f"day by day and full builds differ: {different}"
    first_orders_blob = orders[0].name
    order_rejects = [reason for table, reason in rejected if table == "supply__store_orders"]
    assert len(order_rejects) == 2, rejected
    assert all(r.startswith("duplicate_key:") and first_orders_blob in r for r in order_rejects), order_rejects
    event_rejects = [reason for table, reason in rejected if table == "producer__epcis_events"]
    assert len(event_rejects) == 1 and event_rejects[0].startswith("duplicate_event:"), rejected
    assert documents[0][0].name in event_rejects[0]
