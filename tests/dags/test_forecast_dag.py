"""forecast_stockouts run for real (dag.test) on marts from simulated history: the ml tables, their
Parquet exports in curated/, the report in reports/forecasts/<date>/, the Asset event for the date."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from retail_factory.forecasting.outputs import TABLES, exports
from retail_factory.runner import load_dags, run_dag
from retail_factory.storage import blob_service
from retail_factory.warehouse.export import curated_blob

from tests.integration.forecast_helpers import AS_OF, spoiled_marts
from tests.integration.warehouse_helpers import write_tables

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def forecast_run(airflow_db: Path, storage, duckdb_warehouse, tmp_path: Path):
    tables, stores, _ = spoiled_marts(tmp_path / "sim")
    write_tables(duckdb_warehouse, tables)
    dag = load_dags(("forecast_stockouts",))["forecast_stockouts"]
    return duckdb_warehouse, run_dag(dag, AS_OF, tmp_path / "forecast.log"), stores


def test_a_run_writes_exports_reports_and_emits_its_asset(forecast_run) -> None:
    warehouse, result, stores = forecast_run
    assert result.ok, result.failed_tasks
    [event] = result.asset_events
    assert event["asset"] == "stockout_forecasts" and event["partition_key"] == AS_OF.isoformat()
    assert event["extra"]["tables"]["stockout_risks"] > 0

    service = blob_service()
    curated = service.get_container_client("curated")
    for table in exports():
        data = curated.download_blob(curated_blob(table, AS_OF)).readall()
        rows = warehouse.query(f"select count(*) from {table.schema}.{table.name} where as_of_date = ?", [AS_OF])[1]
        parquet = pq.read_table(io.BytesIO(data))
        assert parquet.num_rows == rows[0][0] and parquet.column_names == list(TABLES[f"ml.{table.name}"]), table.name

    reports = service.get_container_client("reports")
    prefix = f"forecasts/{AS_OF.isoformat()}/"
    names = {blob.name.removeprefix(prefix) for blob in reports.list_blobs(name_starts_with=prefix)}
    assert {"index.html", "summary.json"} <= names
    regions = sorted(n for n in names if n.startswith("region-"))
    plots = sorted(n for n in names if n.startswith("plots/") and n.endswith(".png"))
    assert regions and plots
    index = reports.download_blob(prefix + "index.html").readall().decode()
    assert all(region in index for region in regions) and "S-DARK" in index and "implausible" in index
    at_risk = warehouse.query("select count(*) from ml.stockout_risks where as_of_date = ? and p_stockout >= 0.5",
                              [AS_OF])[1][0][0]  # fmt: skip
    assert f"{at_risk}\nat risk" in index or f"{at_risk} at risk" in " ".join(index.split())
    pages = "".join(reports.download_blob(prefix + region).readall().decode() for region in regions)
    assert all(plot in pages for plot in plots) and any(store in pages for store in stores)
    png = reports.get_blob_client(prefix + plots[0])
    assert png.get_blob_properties().content_settings.content_type == "image/png"
    assert png.download_blob().readall()[:8] == b"\x89PNG\r\n\x1a\n"


def _tables(warehouse, day) -> dict[str, list]:
    return {name: warehouse.query(f"select * from {name} where as_of_date = ? order by 2, 3, 4", [day])[1]
            for name in TABLES}  # fmt: skip


def test_models_are_trained_once_reused_by_a_rerun_and_never_from_the_future(forecast_run, tmp_path: Path) -> None:
    import datetime as dt

    warehouse, first, _ = forecast_run
    assert first.ok
    reports = blob_service().get_container_client("reports")
    stored = {b.name for b in reports.list_blobs(name_starts_with="forecasts/models/")}
    prefix = f"forecasts/models/trained_on={AS_OF.isoformat()}/"
    assert f"{prefix}trained.json" in stored and any(n.startswith(f"{prefix}global_model/") for n in stored)
    before = _tables(warehouse, AS_OF)

    dag = load_dags(("forecast_stockouts",))["forecast_stockouts"]
    assert run_dag(dag, AS_OF, tmp_path / "rerun.log").ok  # reuses the models it trained: same rows
    assert _tables(warehouse, AS_OF) == before
    earlier = AS_OF - dt.timedelta(days=1)
    assert run_dag(dag, earlier, tmp_path / "earlier.log").ok  # a later model is not used: it trains its own
    trained_on = warehouse.query("select models_trained_on from ml.forecast_runs where as_of_date = ?", [earlier])[1]
    assert trained_on == [(earlier,)]
    assert any(b.name.startswith(f"forecasts/models/trained_on={earlier.isoformat()}/") for b in reports.list_blobs())
