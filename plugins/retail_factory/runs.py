"""What a run is about: its business date, never "today".

A date comes, in this order, from the run's ``date`` parameter (a person triggering a run), the
run's partition key (scheduled and backfilled runs of partitioned DAGs, and runs triggered by
partitioned asset events), or its logical date read in the chain's time zone (``dag.test()``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum

from retail_factory.config import get_settings


class NoBusinessDateError(ValueError):
    pass


def business_date(context: dict[str, Any]) -> dt.date:
    params = context.get("params") or {}
    if params.get("date"):
        return dt.date.fromisoformat(str(params["date"]))
    dag_run = context.get("dag_run")
    partition_key = getattr(dag_run, "partition_key", None) if dag_run is not None else None
    if partition_key:
        return dt.date.fromisoformat(str(partition_key)[:10])
    logical_date = context.get("logical_date")
    if logical_date is not None:
        return pendulum.instance(logical_date).in_timezone(get_settings().timezone).date()
    raise NoBusinessDateError(
        "this run has no business date: trigger it with a partition key, a logical date or the 'date' "
        "parameter (YYYY-MM-DD)"
    )


def date_param(what: str) -> Any:
    """The ``date`` parameter of every dated DAG, so a person can run it for a business date."""
    from airflow.sdk import Param

    return Param(
        None,
        type=["null", "string"],
        format="date",
        description=f"Business date {what} (YYYY-MM-DD); defaults to the run's partition.",
    )
