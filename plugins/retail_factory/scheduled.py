"""Run business dates through the real scheduler and follow the chain to its end.

For each date the three landing DAGs are triggered through the REST API v2 (``date`` parameter),
or backfilled (an Airflow backfill of the date range, one run per partition); the rest is
Airflow's: their raw Assets (partition key = the date) schedule ``transform``, whose curated
Assets schedule ``trace_lots`` and ``forecast_stockouts``. This waits until every DAG run of every
date has finished and reads back what each did (its state, failed tasks, the Asset events it
emitted), in the shape :mod:`retail_factory.runner` gives for ``dag.test()``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from retail_factory.runner import LANDING_DAGS, DagRunResult
from retail_factory.stack import AirflowApi, StackError

DOWNSTREAM_DAGS = ("transform", "trace_lots", "forecast_stockouts")
AFTER = {"transform": ("trace_lots", "forecast_stockouts")}
FINISHED = ("success", "failed")


def run_dates(
    api: AirflowApi,
    days: list[dt.date],
    timeout: float = 3600.0,
    on_result: Callable[[DagRunResult], None] | None = None,
    note: str = "retail-factory demo",
) -> list[DagRunResult]:
    """Trigger the landing of ``days``; return every DAG run of the chain once all have finished."""
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    expected: dict[tuple[str, dt.date], str | None] = {}
    for day in days:
        for dag_id in LANDING_DAGS:
            expected[(dag_id, day)] = api.trigger(dag_id, {"date": day.isoformat()}, note=f"{note}: {day}")
    return follow_chain(api, days, expected, started, timeout, on_result)


def backfill_dates(
    api: AirflowApi,
    first: dt.date,
    last: dt.date,
    timeout: float = 3600.0,
    on_result: Callable[[DagRunResult], None] | None = None,
) -> list[DagRunResult]:
    """Backfill the landing DAGs from ``first`` to ``last`` (dates done before are run again), as
    ``airflow backfill create --dag-id land_… --from-date first --to-date last --reprocess-behavior
    completed`` does; return every DAG run of the chain once all have finished."""
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    if not days:
        raise ValueError(f"the backfill's last date {last} is before its first {first}")
    for dag_id in LANDING_DAGS:
        api.backfill(dag_id, first, last)
    return follow_chain(api, days, {}, started, timeout, on_result)


def follow_chain(
    api: AirflowApi,
    days: list[dt.date],
    landing_runs: dict[tuple[str, dt.date], str | None],
    started: dt.datetime,
    timeout: float = 3600.0,
    on_result: Callable[[DagRunResult], None] | None = None,
) -> list[DagRunResult]:
    """Wait for every DAG of the chain to finish a run of each of ``days`` (created after
    ``started``; a landing run with a known id in ``landing_runs``, or any run of its date)."""
    expected: dict[tuple[str, dt.date], str | None] = {}
    for day in days:
        for dag_id in (*LANDING_DAGS, *DOWNSTREAM_DAGS):
            # downstream runs are the scheduler's, created from the Asset events
            expected[(dag_id, day)] = landing_runs.get((dag_id, day))
    results: dict[tuple[str, dt.date], DagRunResult] = {}
    deadline = time.monotonic() + timeout
    while len(results) < len(expected):
        if time.monotonic() > deadline:
            waiting = sorted(f"{dag_id} {day}" for dag_id, day in expected.keys() - results.keys())
            raise StackError(f"the chain did not finish within {timeout:.0f} s; still waiting for {', '.join(waiting)}")
        for result in _finished_runs(api, expected, results, started):
            if on_result:
                on_result(result)
        time.sleep(3)
    return [results[key] for key in expected if key in results]


def _finished_runs(api: AirflowApi, expected: dict, results: dict, started: dt.datetime) -> list[DagRunResult]:
    """The chain's runs that finished since the last round, recorded in ``results``."""
    new = []
    for dag_id in (*LANDING_DAGS, *DOWNSTREAM_DAGS):
        for run in api.finished_runs(dag_id, since=started):
            key = (dag_id, _day_of(run))
            if key not in expected or key in results or run["state"] not in FINISHED:
                continue
            if expected[key] is not None and run["dag_run_id"] != expected[key]:
                continue
            try:
                result = _result(api, dag_id, key[1], run)
            except StackError:
                # Airflow 3.3.2 cannot list an Asset event whose created run has not started yet
                # (a queued transform behind max_active_runs=1: HTTP 500); read it on a later round.
                continue
            results[key] = result
            new.append(result)
            if not result.ok or not result.asset_events:  # nothing emitted: nothing scheduled after it
                _not_run_after(dag_id, key[1], results)
    return new


def _day_of(run: dict[str, Any]) -> dt.date | None:
    value = run.get("partition_key") or (run.get("conf") or {}).get("date")
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _result(api: AirflowApi, dag_id: str, day: dt.date, run: dict[str, Any]) -> DagRunResult:
    run_id = run["dag_run_id"]
    failed = [ti["task_id"] for ti in api.task_instances(dag_id, run_id)
              if ti["state"] not in ("success", "skipped")]  # fmt: skip
    events = api.call("GET", "/api/v2/assets/events", params={"source_dag_id": dag_id, "source_run_id": run_id})
    asset_events = [{"asset": e["name"], "partition_key": e["partition_key"], "extra": e["extra"] or {}}
                    for e in events["asset_events"]]  # fmt: skip
    return DagRunResult(dag_id, day, run["state"], run_id, failed, asset_events)


def _not_run_after(dag_id: str, day: dt.date, results: dict[tuple[str, dt.date], DagRunResult]) -> None:
    """A run that failed or emitted no Asset schedules nothing: its downstream DAGs are not waited for."""
    after = DOWNSTREAM_DAGS if dag_id in LANDING_DAGS else AFTER.get(dag_id, ())
    reason = f"(not scheduled: {dag_id} of {day} emitted no Asset)"
    for downstream in after:
        results.setdefault((downstream, day), DagRunResult(downstream, day, "not run", "", [reason]))
