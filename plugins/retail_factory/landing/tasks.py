"""The landing DAGs' tasks, and the DAG shape shared by land_retail, land_supply and land_producer.

Each DAG lands one domain for one business date: a task per entity (retried on its own), a task
that quarantines files of unknown entities, then ``publish`` emits the domain's raw Asset with the
date as partition key and the partition's counts in the event's extra.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pendulum
from airflow.sdk import DAG, CronPartitionTimetable, dag, task

from retail_factory.alerts import failure_alert, nothing_delivered_alert
from retail_factory.assets import RAW_ASSETS
from retail_factory.config import get_settings
from retail_factory.runs import date_param
from retail_factory.sources.contracts import contracts_of

log = logging.getLogger(__name__)

LANDING_CRON = "0 2 * * *"  # the night after the business day, once the sources have delivered
DEFAULT_ARGS = {
    "owner": "data-engineering",
    "retries": 3,
    "retry_delay": dt.timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=15),
}


@task(multiple_outputs=False)
def land_entity(domain: str, entity: str, **context: Any) -> dict[str, Any]:
    """Land one entity's delivery for the run's business date."""
    from retail_factory.landing.lander import Lander
    from retail_factory.runs import business_date
    from retail_factory.sources.contracts import contract_for
    from retail_factory.storage import blob_service, ensure_containers

    day = business_date(context)
    settings = get_settings()
    service = blob_service()
    ensure_containers(service)
    result = Lander(service, run_id=context["run_id"]).land_entity(contract_for(domain, entity), settings.drop_dir, day)
    rejected = [o for o in result.outcomes if not o.in_raw]
    for outcome in rejected:
        log.warning("quarantined %s: %s", outcome.source, "; ".join(outcome.reasons))
    return {
        "domain": domain,
        "entity": entity,
        "ingest_date": day.isoformat(),
        **result.counts(),
        "quarantined_files": [{"file": o.source, "reason": o.reasons[0] if o.reasons else ""} for o in rejected[:50]],
    }


@task(multiple_outputs=False)
def quarantine_unknown_entities(domain: str, **context: Any) -> dict[str, Any]:
    """Files dropped in folders no contract knows are kept in quarantine with the reason."""
    from retail_factory.landing.lander import Lander
    from retail_factory.runs import business_date
    from retail_factory.storage import blob_service, ensure_containers

    day = business_date(context)
    service = blob_service()
    ensure_containers(service)
    results = Lander(service, run_id=context["run_id"]).land_unknown_entities(domain, get_settings().drop_dir, day)
    for result in results:
        log.warning("%d file(s) in unknown folder %s/%s", len(result.outcomes), domain, result.entity)
    return {"ingest_date": day.isoformat(), "unknown_folders": {r.entity: len(r.outcomes) for r in results}}


def publish_task(domain: str):
    asset = RAW_ASSETS[domain]

    @task(task_id="publish", outlets=[asset], multiple_outputs=False, on_skipped_callback=nothing_delivered_alert())
    def publish(**context: Any) -> dict[str, Any]:
        """Emit the domain's raw Asset for the date, with what the date's partition now holds."""
        from airflow.sdk.exceptions import AirflowSkipException

        from retail_factory.landing.report import domain_state
        from retail_factory.runs import business_date
        from retail_factory.storage import blob_service

        day = business_date(context)
        state = domain_state(blob_service(), domain, [c.entity for c in contracts_of(domain)], day)
        if not state["files"] and not state["quarantined"]:
            # Nothing delivered at all (a nightly run before the sources sent anything): no event, so
            # nothing downstream builds an empty day. The skipped publish shows it in the UI; landing
            # the date again once the files are there emits the event.
            raise AirflowSkipException(f"nothing delivered for {domain} on {day}: {asset.name} not emitted")
        event = context["outlet_events"][asset]
        event.extra = state
        event.add_partitions(day.isoformat())
        log.info(
            "%s for %s: %d files, %d rows, %d quarantined, %d rejected rows",
            asset.name,
            day,
            state["files"],
            state["rows"],
            state["quarantined"],
            state["rejected_rows"],
        )
        return state

    return publish


def landing_dag(domain: str, doc_md: str | None = None) -> DAG:
    """The landing DAG of one domain (``land_<domain>``)."""
    timezone = get_settings().timezone

    @dag(
        dag_id=f"land_{domain}",
        schedule=CronPartitionTimetable(LANDING_CRON, timezone=timezone, run_offset=-1, key_format="%Y-%m-%d"),
        start_date=pendulum.datetime(2025, 1, 1, tz=timezone),
        catchup=False,
        max_active_runs=4,
        tags=["landing", domain],
        default_args=DEFAULT_ARGS,
        doc_md=doc_md,
        on_failure_callback=failure_alert(),
        params={"date": date_param("to land")},
    )
    def landing() -> None:
        entity_tasks = [
            land_entity.override(task_id=f"land_{c.entity}")(domain=domain, entity=c.entity)
            for c in contracts_of(domain)
        ]
        unknown = quarantine_unknown_entities(domain=domain)
        [*entity_tasks, unknown] >> publish_task(domain)()

    return landing()
