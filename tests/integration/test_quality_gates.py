"""The quality gates run for real: GX checkpoints over a DuckDB warehouse built by dbt from landed files.

Clean simulated days pass both gates on DuckDB and PostgreSQL (test_dbt_build.py). Each fault the
simulator can inject past the landing (``GATE_FAULTS``) is stopped by the gate and the expectation
``CAUGHT_BY`` names, and the failure says which column, how many values and shows a sample of them.
The report lands in Blob. The reference check's SQL is also run on PostgreSQL and Spark.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from retail_factory.quality.gate import EMPTY_PARTITION, GateReport, run_gate
from retail_factory.sources.simulator.faults import CAUGHT_BY, GATE_FAULTS, LANDED, inject
from retail_factory.storage import blob_service, empty_containers

from tests.conftest import SIM_START
from tests.integration.warehouse_helpers import environment, file_to_spoil, land_and_load, run_models, write_tables

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DAYS = [SIM_START + dt.timedelta(days=i) for i in range(3)]
GATES = ("raw_gate", "curated_gate")
# Each fault on a day of its own where two of them would break the same column.
FAULT_DAY = {
    "stock_drift": DAYS[1],
    "unknown_products": DAYS[1],
    "epcis_overyield": DAYS[1],
    "invalid_check_digits": DAYS[2],
    "receipt_before_shipment": DAYS[2],
}


def _gates(service, days: list[dt.date]) -> dict[tuple[str, dt.date], GateReport]:
    return {(gate, day): run_gate(gate, day, service) for day in days for gate in GATES}


@pytest.fixture(scope="module")
def faulty_gates(azurite, clean_chain: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("gates-faulty")
    shutil.copytree(clean_chain / "drop", folder / "drop")
    faults = {}
    for kind, day in FAULT_DAY.items():
        victim = file_to_spoil(folder / "drop", day, kind, GATE_FAULTS)
        faults[kind] = inject(kind, victim, folder, day.isoformat(), np.random.default_rng(3))
    service = blob_service()
    empty_containers(service)
    with environment({"RETAIL_FACTORY_WAREHOUSE": "duckdb", "RETAIL_FACTORY_DUCKDB_PATH": str(folder / "w.duckdb")}):
        land_and_load(service, folder / "drop", DAYS)
        run_models(DAYS[-1], "--full-refresh")  # the gates read the marts; dbt's data tests run elsewhere
        yield service, faults, _gates(service, DAYS[1:])


def test_a_gate_writes_its_results_and_data_docs_to_blob(faulty_gates) -> None:
    service, _, reports = faulty_gates
    report = reports[("curated_gate", DAYS[-1])]
    prefix = f"quality/{DAYS[-1].isoformat()}/curated_gate/"
    names = {b.name for b in service.get_container_client("reports").list_blobs(name_starts_with=prefix)}
    assert report.report == f"reports/{prefix}data_docs/index.html"
    assert f"{prefix}data_docs/index.html" in names and f"{prefix}gate.json" in names
    assert any(n.startswith(f"{prefix}validations/marts/fct_inventory_daily/") for n in names)
    summary = json.loads(service.get_container_client("reports").download_blob(f"{prefix}gate.json").readall())
    assert summary["passed"] is False and summary["date"] == DAYS[-1].isoformat()
    assert {f["expectation"] for f in summary["failures"]} == {f.expectation for f in report.failures}


def test_rerunning_a_gate_replaces_its_report(faulty_gates) -> None:
    service, _, _ = faulty_gates
    day = DAYS[1]
    prefix = f"quality/{day.isoformat()}/raw_gate/"
    container = service.get_container_client("reports")
    before = {b.name for b in container.list_blobs(name_starts_with=prefix)}
    again = run_gate("raw_gate", day, service)
    after = {b.name for b in container.list_blobs(name_starts_with=prefix)}
    assert not again.passed
    # one run's results: the validation files of the re-run replace those of the first run
    assert len(after) == len(before)


@pytest.mark.parametrize("kind", sorted(GATE_FAULTS))
def test_each_gate_fault_is_stopped_by_its_expectation(faulty_gates, kind: str) -> None:
    _, faults, reports = faulty_gates
    assert faults[kind].expected == LANDED
    gate, suite, expectation = CAUGHT_BY[kind]
    report = reports[(gate, FAULT_DAY[kind])]
    assert not report.passed
    caught = [f for f in report.failures if (f.suite, f.expectation) == (suite, expectation)]
    assert caught, f"{kind} not caught by {expectation} on {suite}:\n{report.summary()}"
    failure = caught[0]
    assert failure.sample, failure
    assert expectation in report.summary() and suite in report.summary()


def test_a_check_digit_failure_names_the_column_and_shows_the_bad_values(faulty_gates) -> None:
    _, _, reports = faulty_gates
    report = reports[("raw_gate", FAULT_DAY["invalid_check_digits"])]
    failure = next(f for f in report.failures if f.expectation == "expect_column_values_to_be_valid_gtin")
    assert failure.column == "gtin" and failure.unexpected and failure.checked
    assert failure.unexpected / failure.checked > 0.01
    assert all(len(value) == 13 and value.isdigit() for value in failure.sample)
    assert "raw.retail__pos.gtin" in failure.describe() and failure.sample[0] in failure.describe()


def test_an_empty_day_of_an_essential_table_fails_the_raw_gate(faulty_gates, tmp_path: Path) -> None:
    service, _, _ = faulty_gates
    day = DAYS[-1] + dt.timedelta(days=1)  # nothing was landed or loaded for it
    report = run_gate("raw_gate", day, service)
    assert not report.passed
    assert {f.suite for f in report.failures if f.expectation == EMPTY_PARTITION} == {
        "raw.retail__stock",
        "raw._load_log",
    }


def test_a_gate_leaves_the_warehouse_free_for_the_next_writer(faulty_gates) -> None:
    # The dbt build after the raw gate opens DuckDB for writing, in another process.
    from retail_factory.config import get_settings

    run_gate("raw_gate", DAYS[0])
    path = get_settings().duckdb_path
    writer = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).close()"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert writer.returncode == 0, writer.stderr


@pytest.mark.parametrize("engine", ["duckdb", "postgres", "spark"])
def test_a_reference_check_counts_unknown_values_by_an_equi_join(request: pytest.FixtureRequest, engine: str):
    """The check 'value in a reference table', as GX counts its failures (``not (condition)``):
    unknown values are counted, a null in the reference matches nothing (with ``not in`` it hid
    them all), and Spark joins by equality, not by a nested loop over both tables."""
    import sqlalchemy as sa
    from retail_factory.quality.expectations import in_reference_table
    from retail_factory.quality.spark_dialect import RetailFactorySparkDialect
    from sqlalchemy.dialects import postgresql

    warehouse = request.getfixturevalue(f"{engine}_warehouse")
    rows = {"known": ["1", "2", "3", None], "sold": ["1", "2", "3", "9", "9", "8"]}
    warehouse.run_statements(["drop schema if exists reference_check cascade"])
    write_tables(warehouse, {name: ("gtin varchar(14)", [(v,) for v in values]) for name, values in rows.items()},
                 "reference_check")  # fmt: skip
    condition = in_reference_table(sa.column("gtin"), "reference_check.known", "gtin")
    unknown = sa.select(sa.func.sum(sa.case((sa.not_(condition), 1), else_=0))).select_from(
        sa.table("sold", schema="reference_check")
    )
    dialect = RetailFactorySparkDialect() if engine == "spark" else postgresql.dialect()
    sql = str(unknown.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    try:
        assert warehouse.query(sql)[1][0][0] == 3
        if engine == "spark":
            plan = warehouse.query(f"explain {sql}")[1][0][0]
            assert "ExistenceJoin" in plan and "NestedLoopJoin" not in plan, plan
    finally:
        warehouse.run_statements(["drop schema if exists reference_check cascade"])
