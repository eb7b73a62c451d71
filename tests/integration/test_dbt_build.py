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
from retail_factory.warehouse.export import export_marts
from retail_factory.warehouse.loader import RawLoader

from tests.conftest import SIM_START
from tests.integration.warehouse_helpers import (
    all_fingerprints,
    build,
    environment,
    exported_files,
    land_and_load,
    run_models,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DAYS = [SIM_START + dt.timedelta(days=i) for i in range(3)]


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
    for kind, values in targets.items():  # dbt parses the whole project again when its target changes
        values["RETAIL_FACTORY_DBT_TARGET_DIR"] = str(folder / f"dbt-target-{kind}")
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


def test_duckdb_and_postgres_export_the_same_files(built) -> None:
    """Each warehouse writes the curated Parquet its own way (DuckDB hands over Arrow, PostgreSQL
    Python rows): read back from Blob, the same columns of the same kinds, holding the same rows."""
    files = {}
    for kind in ("duckdb", "postgres"):
        with environment(built[kind]["env"]):
            export_marts(get_warehouse(), blob_service(), DAYS[-1])  # the same blobs: PostgreSQL's replace DuckDB's
            files[kind] = exported_files(DAYS[-1])
    different = {name: (file, files["postgres"][name]) for name, file in files["duckdb"].items()
                 if files["postgres"][name] != file}  # fmt: skip
    assert not different, f"exports that differ between DuckDB and PostgreSQL: {different}"


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_rebuilding_a_date_gives_identical_tables(built, kind: str) -> None:
    with environment(built[kind]["env"]):
        if kind == "duckdb":  # the same SQL on PostgreSQL: its harder case below is enough there
            run_models(DAYS[-1])  # the same date again (a retry, a re-run); its tests ran in the fixture
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
