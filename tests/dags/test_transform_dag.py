"""The transform DAG run for real (dag.test): load, dbt through Cosmos, Parquet exports, curated Assets."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from retail_factory.config import get_settings
from retail_factory.runner import load_dags, run_dag
from retail_factory.storage import blob_service, empty_containers
from retail_factory.warehouse.connections import get_warehouse
from retail_factory.warehouse.dbt import ensure_manifest
from retail_factory.warehouse.export import PUBLIC_MARTS, curated_blob

from tests.conftest import SIM_START
from tests.integration.warehouse_helpers import file_to_spoil, land, run_models

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def transformed(airflow_db: Path, azurite, clean_chain: Path, tmp_path_factory: pytest.TempPathFactory):
    """One transform run of the clean chain's first day, read by the tests that check its outputs."""
    service = blob_service()
    empty_containers(service)
    land(service, clean_chain / "drop", SIM_START)
    dag = load_dags(("transform",))["transform"]
    # The session's warehouse: the dbt docs it publishes are where Cosmos' plugin is set to read them.
    return service, run_dag(dag, SIM_START, tmp_path_factory.mktemp("transformed") / "transform.log")


def test_a_transform_run_builds_exports_and_emits_the_curated_assets(transformed) -> None:
    service, result = transformed
    assert result.ok, result.failed_tasks
    events = {e["asset"]: e for e in result.asset_events}
    assert set(events) == {"curated_stock", "curated_traceability"}
    assert {e["partition_key"] for e in events.values()} == {SIM_START.isoformat()}
    assert events["curated_stock"]["extra"]["marts"]["fct_sales_daily"] > 0

    curated = service.get_container_client("curated")
    for mart in PUBLIC_MARTS:
        data = curated.download_blob(curated_blob(mart, SIM_START)).readall()
        table = pq.read_table(io.BytesIO(data))
        _, rows = get_warehouse().query(
            mart.select_sql("?").replace("select *", "select count(*)"), [SIM_START] if mart.date_column else []
        )
        assert table.num_rows == rows[0][0], mart.name
    docs = service.get_container_client("reports").download_blob("dbt-docs/index.html").readall()
    assert b"<html" in docs[:2000].lower() and len(docs) > 100_000


@pytest.mark.filterwarnings("ignore:Multiple rows returned with uselist=False:sqlalchemy.exc.SAWarning")  # as below
def test_the_airflow_ui_serves_the_published_dbt_docs(transformed) -> None:
    """Cosmos' Airflow UI plugin, as configured by the factory, lists and serves the docs the DAG published."""
    from cosmos.plugin.airflow3 import CosmosAF3Plugin, create_cosmos_fastapi_app
    from fastapi.testclient import TestClient

    views = {view["name"]: view["href"] for view in CosmosAF3Plugin().external_views}
    assert views["Retail Factory dbt docs"].endswith("/cosmos/retail_factory/dbt_docs_index.html")
    page = TestClient(create_cosmos_fastapi_app()).get("/retail_factory/dbt_docs_index.html")
    assert page.status_code == 200, page.text[:500]
    assert "fct_sales_daily" in page.text and len(page.text) > 100_000


# The added test makes a second version of the serialized DAG, which Airflow's dag.test() then
# loads with a lazy one-row relationship: SQLAlchemy warns, the run is unaffected.
@pytest.mark.filterwarnings("ignore:Multiple rows returned with uselist=False:sqlalchemy.exc.SAWarning")
def test_a_failing_dbt_test_fails_its_task_and_no_curated_asset_is_emitted(
    airflow_db: Path,
    storage,
    clean_chain: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A data test that fails stops the build downstream: its Cosmos task fails, nothing is exported."""
    project = tmp_path / "dbt_project"
    shutil.copytree(get_settings().dbt_project_dir, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "tests" / "assert_no_day_sells_anything.sql").write_text(
        "-- Fails on any day with sales: stands for a data test that finds bad rows.\n"
        "select store_id, gtin, sold_date from {{ ref('fct_sales_daily') }} where units_sold > 0\n"
    )
    monkeypatch.setenv("RETAIL_FACTORY_DBT_PROJECT_DIR", str(project))
    monkeypatch.setenv("RETAIL_FACTORY_DBT_TARGET_DIR", str(tmp_path / "dbt-target"))
    ensure_manifest()
    land(blob_service(), clean_chain / "drop", SIM_START)

    dag = load_dags(("transform",))["transform"]
    for task in dag.tasks:  # retried, a watcher would run its model again itself: one failure is enough here
        task.retries = 0
    log = tmp_path / "transform.log"
    # The raw gate is not this test's business (the module's whole run passes it on this day).
    result = run_dag(dag, SIM_START, log, mark_success="raw_gate")

    assert not result.ok
    assert "dbt.fct_sales_daily.test" in result.failed_tasks and result.asset_events == []
    assert "dbt.fct_sales_daily.run" not in result.failed_tasks  # the model itself was built
    text = capsys.readouterr().out + caplog.text + log.read_text(errors="replace")  # wherever pytest sent it
    assert "Failure in test assert_no_day_sells_anything" in text and re.search(r"Got [1-9]\d* results", text)


@pytest.mark.filterwarnings("ignore:Multiple rows returned with uselist=False:sqlalchemy.exc.SAWarning")
def test_a_failed_curated_gate_emits_no_curated_asset(
    airflow_db: Path,
    storage,
    clean_chain: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A transformation that makes three times what it took in lands, builds, and is stopped by the curated gate."""
    import numpy as np
    from retail_factory.config import DOMAINS
    from retail_factory.sources.simulator.faults import CAUGHT_BY, GATE_FAULTS, inject
    from retail_factory.warehouse.loader import RawLoader

    monkeypatch.setenv("RETAIL_FACTORY_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    drop = tmp_path / "drop"
    shutil.copytree(clean_chain / "drop", drop)
    victim = file_to_spoil(drop, SIM_START, "epcis_overyield", GATE_FAULTS)
    inject("epcis_overyield", victim, tmp_path, SIM_START.isoformat(), np.random.default_rng(1))
    land(blob_service(), drop, SIM_START)
    # What load_raw and the dbt group do, by the same code without Cosmos' hundred tasks (the test
    # above runs those): they are marked successful below, and the run starts at the curated gate.
    RawLoader(blob_service(), get_warehouse()).load_day(SIM_START, DOMAINS)
    run_models(SIM_START)

    dag = load_dags(("transform",))["transform"]
    log = tmp_path / "transform.log"
    result = run_dag(dag, SIM_START, log, mark_success=r"load_raw|raw_gate|dbt\..*|publish_docs")

    assert not result.ok and result.asset_events == []  # forecast_stockouts and trace_lots stay unscheduled
    assert "curated_gate" in result.failed_tasks and "export_marts" in result.failed_tasks  # upstream_failed
    assert not any(task.startswith("dbt.") for task in result.failed_tasks) and "raw_gate" not in result.failed_tasks
    text = capsys.readouterr().out + caplog.text + log.read_text(errors="replace")
    _, suite, expectation = CAUGHT_BY["epcis_overyield"]
    assert f"{expectation} failed on {suite}" in text and "observed_yield" in text
    assert not list(storage.get_container_client("curated").list_blobs())
