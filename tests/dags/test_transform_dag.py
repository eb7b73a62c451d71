"""The transform DAG run for real (dag.test): load, dbt through Cosmos, Parquet exports, curated Assets."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from retail_factory.landing.lander import Lander
from retail_factory.runner import load_dags, run_dag
from retail_factory.sources.contracts import ALL_CONTRACTS
from retail_factory.storage import blob_service
from retail_factory.warehouse.connections import get_warehouse
from retail_factory.warehouse.export import PUBLIC_MARTS, curated_blob

from tests.conftest import SIM_START

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def transformed(airflow_db: Path, storage, clean_chain: Path, tmp_path: Path):
    service = blob_service()
    lander = Lander(service, run_id="test")
    for contract in ALL_CONTRACTS:
        lander.land_entity(contract, clean_chain / "drop", SIM_START)
    dag = load_dags(("transform",))["transform"]
    return service, run_dag(dag, SIM_START, tmp_path / "transform.log")


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
