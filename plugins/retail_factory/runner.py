"""Run the factory's DAGs date by date through Airflow's own runner (``dag.test()``).

Airflow's metadata lives in the local Airflow home (SQLite); each DAG run is recorded there like
a scheduled one, with its task logs, XComs and asset events. Task output goes to a log file so
the terminal shows one line per DAG run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retail_factory.config import WAREHOUSE_POOL, apply_airflow_environment, get_settings

log = logging.getLogger(__name__)

# The factory's DAGs in the order one date moves through them; later steps add theirs here.
LANDING_DAGS: tuple[str, ...] = ("land_retail", "land_supply", "land_producer")
FACTORY_DAGS: tuple[str, ...] = (*LANDING_DAGS, "transform", "trace_lots", "forecast_stockouts")
POOLS = {WAREHOUSE_POOL: (1, "DuckDB has one writer: tasks that write the warehouse take turns")}


@dataclass
class DagRunResult:
    dag_id: str
    day: dt.date
    state: str
    run_id: str
    failed_tasks: list[str] = field(default_factory=list)
    asset_events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state == "success"


def prepare_airflow() -> Path:
    """Point Airflow at the project's local home and bring its metadata database up to date."""
    env = apply_airflow_environment()
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    from airflow.models.pool import Pool
    from airflow.utils import db

    from retail_factory.warehouse.dbt import ensure_manifest

    with output_to(Path(env["AIRFLOW_HOME"]) / "logs" / "retail-factory.log"):
        db.upgradedb()
        for name, (slots, description) in POOLS.items():
            Pool.create_or_update_pool(name, slots=slots, description=description, include_deferred=False)
        ensure_manifest()  # the transform DAG renders its dbt tasks from it
    return Path(env["AIRFLOW_HOME"])


def load_dags(dag_ids: tuple[str, ...] = FACTORY_DAGS) -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag

    with output_to(Path(get_settings().airflow_home) / "logs" / "retail-factory.log"):
        bag = DagBag(dag_folder=str(get_settings().dags_folder))
    if bag.import_errors:
        details = "\n".join(f"{path}: {error}" for path, error in bag.import_errors.items())
        raise RuntimeError(f"DAG files failed to import:\n{details}")
    missing = [d for d in dag_ids if d not in bag.dags]
    if missing:
        raise KeyError(f"DAGs not found in {get_settings().dags_folder}: {', '.join(missing)}")
    return {dag_id: bag.dags[dag_id] for dag_id in dag_ids}


@contextlib.contextmanager
def output_to(log_path: Path) -> Iterator[None]:
    """Send everything written to stdout/stderr (Airflow's task logs included) to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log_path.open("ab") as target:
        os.dup2(target.fileno(), 1)
        os.dup2(target.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _asset_events(run_id: str, dag_id: str) -> list[dict[str, Any]]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetModel.name, AssetEvent.partition_key, AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetEvent.source_run_id == run_id, AssetEvent.source_dag_id == dag_id)
        ).all()
    return [{"asset": name, "partition_key": key, "extra": extra} for name, key, extra in rows]


def run_dag(
    dag: Any, day: dt.date, log_path: Path, conf: dict[str, Any] | None = None, mark_success: str | None = None
) -> DagRunResult:
    """One run of ``dag`` for ``day`` through ``dag.test()``; ``conf`` sets its params (a triggered run);
    tasks whose id matches the ``mark_success`` pattern are marked successful without running."""
    import pendulum

    logical_date = pendulum.datetime(day.year, day.month, day.day, tz=get_settings().timezone)
    # Deadline alerts are the scheduler's business, and Airflow 3.3.2's dag.test() cannot finish a
    # successful run of a DAG that has one (it looks the alerts up by their serialized form instead
    # of their ids): a run here goes without (transform's deadline: alerts.py, tested on a scheduler).
    deadline, dag.deadline = dag.deadline, None
    try:
        with output_to(log_path):
            dag_run = dag.test(logical_date=logical_date, run_conf=conf, mark_success_pattern=mark_success)
    finally:
        dag.deadline = deadline
    failed = [ti.task_id for ti in dag_run.get_task_instances() if ti.state not in ("success", "skipped")]
    return DagRunResult(
        dag.dag_id, day, str(dag_run.state), dag_run.run_id, failed, _asset_events(dag_run.run_id, dag.dag_id)
    )


def run_factory(
    drop: Path,
    first: dt.date,
    last: dt.date,
    dag_ids: tuple[str, ...] = FACTORY_DAGS,
    on_result: Callable[[DagRunResult], None] | None = None,
) -> list[DagRunResult]:
    """Run ``dag_ids`` in order for every date from ``first`` to ``last`` (a failure does not stop the rest)."""
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    os.environ["RETAIL_FACTORY_DROP_DIR"] = str(drop.resolve())
    home = prepare_airflow()
    dags = load_dags(dag_ids)
    log_path = home / "logs" / "retail-factory-run.log"
    results = []
    day = first
    while day <= last:
        for dag_id in dag_ids:
            result = run_dag(dags[dag_id], day, log_path)
            results.append(result)
            if on_result:
                on_result(result)
        day += dt.timedelta(days=1)
    return results
