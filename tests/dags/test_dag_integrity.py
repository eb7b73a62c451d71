"""DAG integrity, the Astronomer way: every DAG imports, is documented, owned, tagged and retried,
and parsing a DAG file touches neither the metadata database nor any connection."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from retail_factory.config import get_settings

DAG_FILES = sorted(get_settings().dags_folder.glob("*.py"))
LANDING_DAGS = ("land_retail", "land_supply", "land_producer")
FACTORY_DAGS = (*LANDING_DAGS, "transform", "trace_lots", "forecast_stockouts")


@pytest.fixture(scope="module")
def dag_bag():
    from airflow.dag_processing.dagbag import DagBag
    from retail_factory.warehouse.dbt import ensure_manifest

    # As the runners do before Airflow parses: compiled inside the import, dbt's ~20 s parse
    # could pass the import timeout (30 s) on a slow machine when this module runs first.
    ensure_manifest()
    return DagBag(dag_folder=str(get_settings().dags_folder))


def test_dag_files_import_without_errors(dag_bag) -> None:
    assert dag_bag.import_errors == {}
    assert set(FACTORY_DAGS) <= set(dag_bag.dag_ids)


def test_every_dag_file_names_airflow_and_dag_so_the_processor_parses_it() -> None:
    for path in DAG_FILES:
        text = path.read_text().lower()
        assert "airflow" in text and "dag" in text, path


@pytest.mark.parametrize("dag_id", FACTORY_DAGS)
def test_dags_are_documented_tagged_owned_and_retried(dag_bag, dag_id: str) -> None:
    dag = dag_bag.dags[dag_id]
    assert dag.tags and dag.doc_md and len(dag.doc_md) > 200
    assert dag.start_date is not None and dag.start_date.tzinfo is not None
    for task in dag.tasks:
        assert task.owner not in ("", "airflow"), task.task_id
        assert task.retries >= 1, task.task_id


@pytest.mark.parametrize("dag_id", LANDING_DAGS)
def test_landing_dags_are_partitioned_by_business_date_and_emit_their_asset(dag_bag, dag_id: str) -> None:
    from airflow.sdk import CronPartitionTimetable

    dag = dag_bag.dags[dag_id]
    domain = dag_id.removeprefix("land_")
    assert isinstance(dag.timetable, CronPartitionTimetable)
    assert dag.timetable.key_format == "%Y-%m-%d" and dag.timetable.run_offset == -1
    publish = dag.get_task("publish")
    assert [asset.name for asset in publish.outlets] == [f"raw_{domain}"]
    from retail_factory.sources.contracts import contracts_of

    land_tasks = {f"land_{c.entity}" for c in contracts_of(domain)}
    assert land_tasks | {"quarantine_unknown_entities"} == set(publish.upstream_task_ids)


PARSE_WITHOUT_DB_OR_CONNECTIONS = textwrap.dedent(
    """
    import runpy, socket, sqlite3, sys
    import airflow.sdk
    from airflow.sdk import BaseHook, Connection

    def forbidden(*args, **kwargs):
        raise AssertionError("parsing a DAG file must not touch the database, the network or a connection")

    sqlite3.connect = forbidden
    socket.socket.connect = forbidden
    BaseHook.get_connection = classmethod(forbidden)
    Connection.get = classmethod(forbidden)
    for path in sys.argv[1:]:
        namespace = runpy.run_path(path)
        assert namespace["dag"].dag_id, path
    print("parsed", len(sys.argv) - 1)
    """
)


def test_parsing_makes_no_database_query_and_reads_no_connection() -> None:
    env = os.environ | {"AIRFLOW_CONN_WASB_DEFAULT": "this-is-not-a-valid-connection"}
    completed = subprocess.run(
        [sys.executable, "-c", PARSE_WITHOUT_DB_OR_CONNECTIONS, *map(str, DAG_FILES)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert f"parsed {len(DAG_FILES)}" in completed.stdout


def test_dag_files_are_thin(dag_bag) -> None:
    for path in DAG_FILES:
        code = [line for line in Path(path).read_text().splitlines() if line.strip() and not line.startswith("#")]
        assert "import" in path.read_text() and len(code) < 60, path


def test_transform_runs_when_all_domains_landed_a_date_and_emits_the_curated_assets(dag_bag) -> None:
    from airflow.timetables.simple import PartitionedAssetTimetable

    dag = dag_bag.dags["transform"]
    assert isinstance(dag.timetable, PartitionedAssetTimetable)
    assets = {key.name for key, _ in dag.timetable.asset_condition.iter_assets()}
    assert assets == {"raw_retail", "raw_supply", "raw_producer"}
    assert type(dag.timetable.asset_condition).__name__.endswith("AssetAll")  # all three, not any
    assert dag.max_active_runs == 1
    export = dag.get_task("export_marts")
    assert sorted(asset.name for asset in export.outlets) == ["curated_stock", "curated_traceability"]


def test_transform_shows_a_task_per_dbt_model_and_its_tests_and_serialises_warehouse_writes(dag_bag) -> None:
    import json

    from retail_factory.warehouse.dbt import RUN_DATE_ENV, manifest_path
    from retail_factory.warehouse.tasks import RUN_DATE_TEMPLATE

    dag = dag_bag.dags["transform"]
    nodes = json.loads(manifest_path().read_text())["nodes"].values()
    models = {n["name"] for n in nodes if n["resource_type"] == "model"}
    task_ids = set(dag.task_dict)
    missing = [m for m in models if not any(t.startswith(f"dbt.{m}.") or t == f"dbt.{m}" for t in task_ids)]
    assert not missing, f"dbt models without a task: {missing}"
    assert any(t.endswith(".test") for t in task_ids)  # each model's tests are a task of their own
    writers = [t for t in dag.tasks if t.task_id in ("load_raw", "export_marts", "publish_docs")]
    writers.append(dag.get_task("dbt.dbt_producer_watcher"))
    assert all(t.pool == "warehouse" for t in writers)
    watchers = [t for t in dag.tasks if type(t).__name__ in ("DbtRunWatcherOperator", "DbtTestWatcherOperator")]
    assert watchers and all(t.pool == "default_pool" for t in watchers)  # they read XCom, side by side
    assert dag.get_task("load_raw").downstream_task_ids  # load → dbt → export
    # every dbt task builds the date load_raw loaded (in dbt's environment: not --vars, see run_date.sql)
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("dbt.") and hasattr(t, "env")]  # not the empty "done"
    assert {t.env.get(RUN_DATE_ENV) for t in dbt_tasks} == {RUN_DATE_TEMPLATE} and "load_raw" in RUN_DATE_TEMPLATE
    assert not [t.task_id for t in dbt_tasks if "run_date" in (t.vars or {})]


@pytest.mark.parametrize(
    ("name", "value"),
    [("reason", "x"), ("direction", "sideways"), ("gtin", "12ab"), ("recall_id", "a/b"), ("lots", [""])],
)
def test_the_recall_form_refuses_bad_params(dag_bag, name: str, value) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        dag_bag.dags["recall"].params.get_param(name).resolve(value)


def test_the_recall_is_triggered_by_a_person_and_trace_lots_by_curated_traceability(dag_bag) -> None:
    from airflow.timetables.simple import PartitionedAssetTimetable

    recall = dag_bag.dags["recall"]
    assert (
        type(recall.timetable).__name__ == "NullTimetable"
        and recall.tags
        and recall.doc_md
        and len(recall.doc_md) > 200
    )
    assert recall.params.get_param("reason").resolve("Listeria found") == "Listeria found"
    # No retry: a refused request or an unknown lot is not fixed by trying again.
    assert [(t.task_id, t.owner, t.retries) for t in recall.tasks] == [("write_recall_report", "data-engineering", 0)]
    trace_lots = dag_bag.dags["trace_lots"]
    assert isinstance(trace_lots.timetable, PartitionedAssetTimetable)
    assert "curated_traceability" in repr(trace_lots.timetable.asset_condition)


def test_forecast_stockouts_runs_on_curated_stock_and_emits_its_forecasts(dag_bag) -> None:
    from airflow.sdk.exceptions import ParamValidationError
    from airflow.timetables.simple import PartitionedAssetTimetable

    dag = dag_bag.dags["forecast_stockouts"]
    assert isinstance(dag.timetable, PartitionedAssetTimetable)
    assert "curated_stock" in repr(dag.timetable.asset_condition) and dag.max_active_runs == 1
    assert [asset.name for asset in dag.get_task("export_forecasts").outlets] == ["stockout_forecasts"]
    assert all(task.pool == "warehouse" for task in dag.tasks)  # each reads or writes the warehouse
    assert dag.get_task("forecast").downstream_task_ids == {"export_forecasts"}
    level = dag.params.get_param("service_level")
    assert level.resolve(0.99) == 0.99
    for wrong in (1.0, 0.2, "high"):
        with pytest.raises(ParamValidationError):
            level.resolve(wrong)
