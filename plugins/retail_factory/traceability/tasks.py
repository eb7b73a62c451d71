"""The ``trace_lots`` DAG: rebuild the lot genealogy (``trace.*``) when curated traceability data lands."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, dag, task
from airflow.timetables.simple import PartitionedAssetTimetable

from retail_factory.assets import CURATED_ASSETS
from retail_factory.config import WAREHOUSE_POOL, get_settings

log = logging.getLogger(__name__)

DEFAULT_ARGS = {"owner": "data-engineering", "retries": 2, "retry_delay": dt.timedelta(minutes=1)}


@task(pool=WAREHOUSE_POOL)
def refresh_genealogy(**context: Any) -> dict[str, Any]:
    """Replace ``trace.lot_edges``, ``trace.lot_lineage`` and ``trace.lot_movements`` in one transaction."""
    from dataclasses import asdict

    from retail_factory.runs import business_date
    from retail_factory.traceability.genealogy import build_genealogy

    day = business_date(context)
    size = build_genealogy()
    log.info("genealogy rebuilt with the curated data up to %s: %s", day, size)
    return {"date": day.isoformat(), **asdict(size)}


def trace_lots_dag(doc_md: str | None = None) -> DAG:
    """Scheduled on ``curated_traceability``: each exported date refreshes the genealogy."""

    @dag(
        dag_id="trace_lots",
        schedule=PartitionedAssetTimetable(assets=CURATED_ASSETS["traceability"]),
        start_date=pendulum.datetime(2025, 1, 1, tz=get_settings().timezone),
        catchup=False,
        max_active_runs=1,
        tags=["traceability", "warehouse"],
        default_args=DEFAULT_ARGS,
        doc_md=doc_md,
        params={
            "date": Param(
                None,
                type=["null", "string"],
                format="date",
                description="Business date the refresh is for (YYYY-MM-DD); defaults to the run's partition.",
            )
        },
    )
    def trace_lots() -> None:
        refresh_genealogy()

    return trace_lots()
