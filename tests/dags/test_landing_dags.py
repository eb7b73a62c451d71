"""Full runs of the landing DAGs with ``dag.test()`` against a real Azurite and Airflow's SQLite DB."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from retail_factory.runner import load_dags, run_dag

from tests.conftest import SIM_START

pytestmark = pytest.mark.integration
DOMAINS = ("retail", "supply", "producer")


@pytest.fixture
def dags(airflow_db, storage, faulty_chain: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RETAIL_FACTORY_DROP_DIR", str(faulty_chain / "drop"))
    return load_dags(tuple(f"land_{d}" for d in DOMAINS))


def partition(storage, container: str, domain: str, day: dt.date) -> dict[str, str]:
    client = storage.get_container_client(container)
    return {
        b.name: b.etag
        for b in client.list_blobs(name_starts_with=f"{domain}/")
        if f"/ingest_date={day.isoformat()}/" in b.name
    }


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_landing_dag_lands_its_domain_and_emits_a_partitioned_asset_event(
    dags, storage, faulty_chain: Path, tmp_path: Path, domain: str
) -> None:
    result = run_dag(dags[f"land_{domain}"], SIM_START, tmp_path / "run.log")
    assert result.ok, result.failed_tasks
    assert [(e["asset"], e["partition_key"]) for e in result.asset_events] == [(f"raw_{domain}", SIM_START.isoformat())]
    extra = result.asset_events[0]["extra"]
    raw = partition(storage, "raw", domain, SIM_START)
    quarantine = partition(storage, "quarantine", domain, SIM_START)
    assert extra["files"] == len(raw) > 0
    assert extra["quarantined"] == sum(name.endswith(".error.json") for name in quarantine)
    delivered = [p for p in (faulty_chain / "drop" / domain).glob(f"*/{SIM_START.isoformat()}/*") if p.is_file()]
    assert extra["files"] + extra["quarantined"] == len(delivered)  # every delivered file is somewhere
    assert extra["rows"] == sum(extra["entities"][e]["rows"] for e in extra["entities"])


def test_re_running_a_day_three_times_changes_nothing(dags, storage, tmp_path: Path) -> None:
    dag = dags["land_retail"]
    first = run_dag(dag, SIM_START, tmp_path / "run.log")
    before = (
        partition(storage, "raw", "retail", SIM_START),
        partition(storage, "quarantine", "retail", SIM_START),
    )
    for _ in range(2):
        again = run_dag(dag, SIM_START, tmp_path / "run.log")
        assert again.ok
        assert {k: v for k, v in again.asset_events[0]["extra"].items()} == first.asset_events[0]["extra"]
    after = (
        partition(storage, "raw", "retail", SIM_START),
        partition(storage, "quarantine", "retail", SIM_START),
    )
    assert after == before


def test_storage_down_fails_the_run_clearly_and_the_next_run_lands_everything_once(
    dags, storage, azurite, tmp_path: Path, faulty_chain: Path, capsys: pytest.CaptureFixture
) -> None:
    dag = dags["land_supply"]
    for task in dag.tasks:  # the DAG retries 3 times with back-off; here one failure is enough to look at
        task.retries = 0
    log = tmp_path / "run.log"
    azurite.stop()
    try:
        failed = run_dag(dag, SIM_START, log)
    finally:
        azurite.start()
    assert not failed.ok and "land_store_orders" in failed.failed_tasks and failed.asset_events == []
    captured = capsys.readouterr()
    text = captured.out + captured.err + log.read_text()  # the task's log, wherever pytest sent it
    assert "StorageUnavailableError" in text and "did not answer" in text
    recovered = run_dag(dag, SIM_START, log)
    assert recovered.ok
    raw = partition(storage, "raw", "supply", SIM_START)
    delivered = sorted(p.name for p in (faulty_chain / "drop" / "supply").glob(f"*/{SIM_START.isoformat()}/*"))
    landed = sorted(name.rsplit("/", 1)[1] for name in raw)
    assert not any(".v2." in name for name in landed)
    assert set(landed) <= set(delivered) and len(landed) == recovered.asset_events[0]["extra"]["files"]
