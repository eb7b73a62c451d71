"""The traceability DAGs: ``trace_lots`` rebuilds the genealogy (``trace.*``) when curated
traceability data lands; ``recall``, triggered by a person, writes a recall's reports."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, dag, task
from airflow.timetables.simple import PartitionedAssetTimetable

from retail_factory.alerts import failure_alert
from retail_factory.assets import CURATED_ASSETS
from retail_factory.config import WAREHOUSE_POOL, get_settings
from retail_factory.runs import date_param

log = logging.getLogger(__name__)

DEFAULT_ARGS = {"owner": "data-engineering", "retries": 2, "retry_delay": dt.timedelta(minutes=1)}


@task(pool=WAREHOUSE_POOL)
def refresh_genealogy(**context: Any) -> dict[str, Any]:
    """Replace the ``trace.*`` tables (genealogy, movements, exposure, consistency) in one transaction."""
    from dataclasses import asdict

    from retail_factory.runs import business_date
    from retail_factory.traceability.genealogy import build_genealogy

    day = business_date(context)
    size = build_genealogy()
    log.info("genealogy rebuilt with the curated data up to %s: %s", day, size)
    return {"date": day.isoformat(), **asdict(size)}


def trace_lots_dag(doc_md: str | None = None) -> DAG:
    """Scheduled on ``curated_traceability``: each exported date refreshes the genealogy, then the
    trace gate reports what in it does not add up (``reports/quality/<date>/trace_gate/``)."""

    @dag(
        dag_id="trace_lots",
        schedule=PartitionedAssetTimetable(assets=CURATED_ASSETS["traceability"]),
        start_date=pendulum.datetime(2025, 1, 1, tz=get_settings().timezone),
        catchup=False,
        max_active_runs=1,
        tags=["traceability", "warehouse"],
        default_args=DEFAULT_ARGS,
        doc_md=doc_md,
        on_failure_callback=failure_alert(),
        params={"date": date_param("the refresh is for")},
    )
    def trace_lots() -> None:
        from retail_factory.quality.tasks import trace_gate

        refresh_genealogy() >> trace_gate()

    return trace_lots()


@task(retries=0)  # a refused request or a lot that does not exist is not fixed by trying again
def write_recall_report(**context: Any) -> dict[str, Any]:
    """Check the request, trace its lots, write ``reports/recalls/<recall-id>/``; return the summary."""
    from airflow.sdk.exceptions import AirflowFailException

    from retail_factory.storage import blob_service, ensure_containers
    from retail_factory.traceability.recall import (
        RecallRequest,
        RecallRequestError,
        build_recall,
        summary_text,
        write_recall,
    )
    from retail_factory.traceability.trace import LotNotFoundError

    params = context["params"]
    try:
        request = RecallRequest(
            reason=params.get("reason") or "",
            lots=tuple(params.get("lots") or ()),
            gtin=params.get("gtin") or None,
            date_from=dt.date.fromisoformat(params["date_from"]) if params.get("date_from") else None,
            date_to=dt.date.fromisoformat(params["date_to"]) if params.get("date_to") else None,
            direction=params.get("direction") or "forward",
            recall_id=params.get("recall_id") or None,
        )
        recall = build_recall(request)
    except (RecallRequestError, LotNotFoundError) as refused:
        raise AirflowFailException(str(refused)) from refused
    service = blob_service()
    ensure_containers(service)
    folder = write_recall(recall, service)
    log.info(
        "recall %s written to %s/%s\n%s", request.id, service.url.rstrip("/"), folder, summary_text(recall.summary)
    )
    return json.loads(json.dumps(recall.summary, default=str))


def recall_dag(doc_md: str | None = None) -> DAG:
    """Triggered by a person with the lots (or a GTIN and dates), a direction and a reason."""

    @dag(
        dag_id="recall",
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1, tz=get_settings().timezone),
        catchup=False,
        tags=["traceability", "recall"],
        default_args=DEFAULT_ARGS,
        doc_md=doc_md,
        on_failure_callback=failure_alert(),
        params={
            "reason": Param(
                "",
                type="string",
                minLength=3,
                description="Why: what was found, where, by whom (at least 3 characters).",
            ),
            "lots": Param(
                [],
                type="array",
                items={"type": "string", "minLength": 1},
                description="Lots to recall: URN (urn:epc:class:lgtin:…), GS1 Digital Link or (01)<GTIN-14>(10)<lot>.",
            ),
            "gtin": Param(
                None, type=["null", "string"], pattern="^[0-9]{8,14}$", description="Or every lot of this GTIN …"
            ),
            "date_from": Param(None, type=["null", "string"], format="date", description="… moved from this date …"),
            "date_to": Param(None, type=["null", "string"], format="date", description="… to this date."),
            "direction": Param(
                "forward",
                enum=["forward", "backward", "both"],
                description="forward: where the lots went; backward: where they came from.",
            ),
            "recall_id": Param(
                None,
                type=["null", "string"],
                pattern="^[A-Za-z0-9._-]{1,64}$",
                description="Folder name under reports/recalls/ (default: derived from the request).",
            ),
        },
    )
    def recall() -> None:
        write_recall_report()

    return recall()
