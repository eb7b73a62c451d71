"""The transform DAG: load a date's raw blobs, gate them, build dbt with Cosmos, gate the marts, export, emit Assets.

One run per business date (the partition key of the raw Assets' events). Every step is
idempotent for its date: the load replaces the date's raw partitions (or does nothing when the
blobs did not change), dbt's incremental models rebuild the date and its look-back window, the
exports overwrite their blobs.

DuckDB has one writer: every task that opens the file for writing (load, dbt, export, docs) runs
in the ``warehouse`` pool, which has one slot, and the DAG runs one date at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pendulum
from airflow.sdk import DAG, dag, task
from airflow.timetables.simple import PartitionedAssetTimetable

from retail_factory.alerts import curated_data_deadline, failure_alert
from retail_factory.assets import CURATED_ASSETS, RAW_ASSETS
from retail_factory.config import DOMAINS, WAREHOUSE_POOL, get_settings
from retail_factory.quality.tasks import curated_gate, raw_gate
from retail_factory.runs import date_param

log = logging.getLogger(__name__)

DEFAULT_ARGS = {
    "owner": "data-engineering",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=10),
}
RUN_DATE_TEMPLATE = "{{ ti.xcom_pull(task_ids='load_raw')['day'] }}"


@task(pool=WAREHOUSE_POOL, multiple_outputs=False)
def load_raw(**context: Any) -> dict[str, Any]:
    """Load every raw blob of the date into the warehouse's raw tables (one transaction)."""
    from retail_factory.runs import business_date
    from retail_factory.storage import blob_service
    from retail_factory.warehouse.connections import get_warehouse
    from retail_factory.warehouse.loader import RawLoader

    day = business_date(context)
    summary = RawLoader(blob_service(), get_warehouse()).load_day(day, DOMAINS)
    for entity in summary.entities:
        if entity.outcome == "no_files":
            log.warning("%s.%s: no file landed for %s; its partition is empty", entity.domain, entity.entity, day)
    return summary.to_dict()


@task(pool=WAREHOUSE_POOL, outlets=list(CURATED_ASSETS.values()), multiple_outputs=False)
def export_marts(**context: Any) -> dict[str, Any]:
    """Export the public marts of the date as Parquet to curated/, then emit the curated Assets."""
    from retail_factory.runs import business_date
    from retail_factory.storage import blob_service, ensure_containers
    from retail_factory.warehouse.connections import get_warehouse
    from retail_factory.warehouse.export import export_marts as export

    day = business_date(context)
    service = blob_service()
    ensure_containers(service)
    exported = export(get_warehouse(), service, day)
    for product, asset in CURATED_ASSETS.items():
        event = context["outlet_events"][asset]
        event.extra = {
            "date": day.isoformat(),
            "marts": {name: info["rows"] for name, info in exported.items() if info["product"] == product},
        }
        event.add_partitions(day.isoformat())
    return {"date": day.isoformat(), "exported": exported}


@task(pool=WAREHOUSE_POOL, multiple_outputs=False)
def publish_docs(**context: Any) -> dict[str, Any]:
    """dbt docs as one static page, in reports/dbt-docs/ and where the Airflow UI's dbt docs view reads."""
    from retail_factory.storage import blob_service, ensure_containers
    from retail_factory.warehouse.docs import publish_dbt_docs

    service = blob_service()
    ensure_containers(service)
    return publish_dbt_docs(service)


def _dbt_group() -> Any:
    from cosmos import DbtTaskGroup

    from retail_factory.warehouse.dbt import cosmos_configs, execution_mode_name

    project, profile, execution, render = cosmos_configs(RUN_DATE_TEMPLATE)
    # Every dbt task takes the warehouse pool: the producer's `dbt build` writes, and a watcher task
    # cleared or retried by hand falls back to running its own model. Watchers wait after the build.
    operator_args: dict[str, Any] = {"pool": WAREHOUSE_POOL}
    group = DbtTaskGroup(
        group_id="dbt",
        project_config=project,
        profile_config=profile,
        execution_config=execution,
        render_config=render,
        operator_args=operator_args,
        default_args=DEFAULT_ARGS,
    )
    if execution_mode_name() == "watcher":
        _watch_after_build(group)
    return group


def _tasks_of(group: Any) -> list[Any]:
    tasks = []
    for child in group.children.values():
        tasks.extend(_tasks_of(child) if hasattr(child, "children") else [child])
    return tasks


def _watch_after_build(group: Any) -> None:
    """Start the per-model watcher tasks once the producer's `dbt build` has finished.

    Cosmos lets them watch the build live only in a DbtDag; in a task group they would wait on a
    producer that ``dag.test()`` (one task at a time) never gets to run. Started after it, with
    ``all_done``, each watcher reports its model's own result (the producer pushed it to XCom),
    so a failed model or test fails its own task, and the rest show success.
    """
    from cosmos.constants import PRODUCER_WATCHER_DONE_TASK_ID, PRODUCER_WATCHER_TASK_ID

    tasks = _tasks_of(group)
    producer = next(t for t in tasks if t.task_id.endswith(PRODUCER_WATCHER_TASK_ID))
    for node in tasks:
        if node is producer or node.task_id.endswith(PRODUCER_WATCHER_DONE_TASK_ID):
            continue
        # A watcher reads the producer's XCom, not the warehouse: out of the one-slot pool, the
        # hundred of them run side by side under a scheduler. One cleared by hand runs its model
        # itself; should a writer hold the DuckDB file then, it fails on the lock and retries.
        node.pool = "default_pool"
        if not node.upstream_task_ids:
            producer >> node
            node.trigger_rule = "all_done"


def transform_dag(doc_md: str | None = None) -> DAG:
    """The ``transform`` DAG: scheduled when all three domains have landed the same date."""
    timezone = get_settings().timezone
    landed_everywhere = RAW_ASSETS["retail"] & RAW_ASSETS["supply"] & RAW_ASSETS["producer"]

    @dag(
        dag_id="transform",
        schedule=PartitionedAssetTimetable(assets=landed_everywhere),
        start_date=pendulum.datetime(2025, 1, 1, tz=timezone),
        catchup=False,
        max_active_runs=1,  # one date at a time: the warehouse has one writer
        tags=["transform", "dbt", "warehouse"],
        default_args=DEFAULT_ARGS,
        doc_md=doc_md,
        on_failure_callback=failure_alert(),
        params={"date": date_param("to transform")},
        deadline=curated_data_deadline(),  # curated data of D ready the next morning, or an alert
    )
    def transform() -> None:
        dbt = _dbt_group()
        load_raw() >> raw_gate() >> dbt >> curated_gate() >> export_marts()
        dbt >> publish_docs()

    return transform()
