"""Alerts: a failed DAG run (dag.test, the real recall DAG), a source that delivered nothing (the
real land_producer DAG) and a missed curated-data deadline (its triggerer callback) reach a small
local webhook receiver through Airflow's HTTP notifier."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pendulum
import pytest
from retail_factory import alerts

from tests.alert_receiver import AlertReceiver

pytestmark = pytest.mark.integration


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch):
    """A local receiver, and the factory's alerts pointed at it through an HTTP connection."""
    with AlertReceiver() as receiver:
        monkeypatch.setenv("AIRFLOW_CONN_RETAIL_FACTORY_ALERTS", receiver.connection)
        monkeypatch.setenv("RETAIL_FACTORY_ALERT_NOTIFIER", "webhook")
        yield receiver.received


def test_a_failed_dag_run_posts_one_alert_naming_the_dag_date_and_failed_task(
    webhook, airflow_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retail_factory.runner import load_dags, run_dag

    monkeypatch.setenv("RETAIL_FACTORY_DUCKDB_PATH", str(tmp_path / "empty.duckdb"))  # no genealogy: it must fail
    recall = load_dags(("recall",))["recall"]
    conf = {"reason": "alert test", "lots": ["(01)03712367000018(10)NOPE"], "direction": "forward"}
    result = run_dag(recall, dt.date(2025, 3, 4), tmp_path / "recall.log", conf=conf)
    assert result.state == "failed" and result.failed_tasks == ["write_recall_report"]
    assert len(webhook) == 1, webhook
    alert = webhook[0]["json"]
    assert webhook[0]["type"] == "application/json"
    assert alert["kind"] == "dag_run_failed" and alert["dag_id"] == "recall" and alert["run_id"] == result.run_id
    assert alert["business_date"] == "2025-03-04"  # the run's date in the chain's time zone, not UTC's
    assert "task write_recall_report failed" in alert["reason"] and alert["text"].startswith("[retail-factory] recall")


def test_a_source_that_delivered_nothing_posts_one_alert_and_emits_no_asset(
    webhook, airflow_db, storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retail_factory.runner import load_dags, run_dag

    (tmp_path / "drop" / "producer").mkdir(parents=True)  # the producers sent nothing for the date
    monkeypatch.setenv("RETAIL_FACTORY_DROP_DIR", str(tmp_path / "drop"))
    land = load_dags(("land_producer",))["land_producer"]
    result = run_dag(land, dt.date(2025, 3, 4), tmp_path / "land.log")
    assert result.ok and result.asset_events == []  # nothing for transform to build an empty day from
    assert [alert["json"]["kind"] for alert in webhook] == ["nothing_delivered"]
    alert = webhook[0]["json"]
    assert (alert["dag_id"], alert["business_date"], alert["run_id"]) == ("land_producer", "2025-03-04", result.run_id)
    assert "nothing delivered under drop/producer/<entity>/2025-03-04/" in alert["reason"]
    assert "transform waits for this date" in alert["text"]


def test_the_missed_deadline_callback_posts_from_the_triggerer_side(webhook) -> None:
    context = {
        "dag_run": {"dag_id": "transform", "dag_run_id": "asset_triggered__x", "partition_key": "2025-03-04"},
        "deadline": {"id": "1", "deadline_time": "2025-03-05T06:00:00+00:00"},
    }
    line = asyncio.run(alerts.curated_data_late(context=context))  # what the triggerer awaits
    assert isinstance(line, str)  # the triggerer stores it as text in the metadata database
    assert [(alert["path"], alert["type"]) for alert in webhook] == [("/", "application/json")]
    message = webhook[0]["json"]
    assert message["kind"] == "curated_data_late" and message["business_date"] == "2025-03-04"
    assert message["text"] == line and "not ready by 2025-03-05T06:00:00+00:00" in line


def test_the_log_channel_writes_one_error_line(caplog: pytest.LogCaptureFixture, monkeypatch) -> None:
    monkeypatch.setenv("RETAIL_FACTORY_ALERT_NOTIFIER", "log")
    with caplog.at_level("ERROR", logger="retail_factory.alerts"):
        asyncio.run(
            alerts.curated_data_late(context={"dag_run": {"dag_id": "transform", "partition_key": "2025-03-04"}})
        )
    assert [r.getMessage() for r in caplog.records if r.name == "retail_factory.alerts"] == [
        "[retail-factory] transform for 2025-03-04: curated data not ready by its deadline (run )"
    ]


def test_curated_data_is_due_the_next_morning_or_some_hours_after_a_late_start() -> None:
    settings = alerts.AlertSettings(curated_ready_by=dt.time(7, 0), grace=dt.timedelta(hours=2))
    on_time = pendulum.datetime(2025, 3, 5, 2, 30, tz="Europe/Paris")
    due = alerts.curated_due(dt.date(2025, 3, 4), on_time, settings, "Europe/Paris")
    assert due == pendulum.datetime(2025, 3, 5, 7, 0, tz="Europe/Paris")
    late = pendulum.datetime(2025, 3, 9, 12, 0, tz="UTC")  # a re-run days later
    assert alerts.curated_due(dt.date(2025, 3, 4), late, settings, "Europe/Paris") == late + dt.timedelta(hours=2)
    summer = alerts.curated_due(dt.date(2025, 7, 1), on_time.replace(month=7, day=2), settings, "Europe/Paris")
    assert summer.in_timezone("UTC").hour == 5  # 07:00 in Paris is 05:00 UTC in summer


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("RETAIL_FACTORY_ALERT_NOTIFIER", "sms", "must be one of log, email, webhook"),
        ("RETAIL_FACTORY_CURATED_READY_BY", "7am", "a time of day is expected"),
    ],
)
def test_bad_alert_settings_are_refused_with_the_reason(monkeypatch, name: str, value: str, says: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=says):
        alerts.alert_settings()


def test_every_factory_dag_alerts_on_failure_and_transform_has_the_curated_deadline() -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization
    from retail_factory.config import get_settings

    bag = DagBag(dag_folder=str(get_settings().dags_folder))
    for dag_id, dag in bag.dags.items():
        callbacks = dag.on_failure_callback if isinstance(dag.on_failure_callback, list) else [dag.on_failure_callback]
        assert any(isinstance(c, alerts.FactoryAlert) for c in callbacks), dag_id
    deadline = bag.dags["transform"].deadline
    deadline = deadline[0] if isinstance(deadline, list) else deadline
    assert isinstance(deadline.reference, alerts.CuratedDataDue)
    serialized = json.dumps(DagSerialization.to_dict(bag.dags["transform"]), default=str)
    assert "CuratedDataDue" in serialized and "curated_data_late" in serialized
