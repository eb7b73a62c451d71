"""The quality gates as Airflow tasks of the transform and trace_lots DAGs.

``raw_gate`` runs after the load and before dbt, ``curated_gate`` after dbt and before the task
that emits the curated Assets. A gate that finds a critical failure fails its task at once (no
retry: the same data would fail again), so nothing downstream runs, no curated Asset is emitted
and ``forecast_stockouts`` and ``trace_lots`` are not scheduled on bad data. The failure message
and the task log name each failed expectation, its column, counts and a sample of bad values,
and where the report is (``reports/quality/<date>/<gate>/``).

``trace_gate`` runs in ``trace_lots`` after the genealogy is rebuilt and reports its consistency
issues (warnings: a trace must run on imperfect data, but nobody should miss what does not add up).

They read the warehouse, so they take the one-slot ``warehouse`` pool like every task that opens it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from airflow.sdk import task

from retail_factory.config import WAREHOUSE_POOL

log = logging.getLogger(__name__)


def _run(gate: str, context: dict[str, Any]) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowFailException

    from retail_factory.quality.gate import run_gate
    from retail_factory.runs import business_date
    from retail_factory.storage import blob_service, ensure_containers

    day = business_date(context)
    service = blob_service()
    ensure_containers(service)
    report = run_gate(gate, day, service)
    if report.report:
        log.info("%s report (Data Docs): %s/%s", gate, service.url.rstrip("/"), report.report)
    if not report.passed:
        raise AirflowFailException(report.summary())
    return json.loads(json.dumps(report.to_dict(), default=str))  # sample rows hold dates and decimals


@task(pool=WAREHOUSE_POOL)
def raw_gate(**context: Any) -> dict[str, Any]:
    """Validate the raw tables of the date (GX checkpoint ``raw_gate``) before dbt reads them."""
    return _run("raw_gate", context)


@task(pool=WAREHOUSE_POOL)
def curated_gate(**context: Any) -> dict[str, Any]:
    """Validate the marts of the date (``curated_gate`` and ``curated_gate_tables``) before they are published."""
    return _run("curated_gate", context)


@task(pool=WAREHOUSE_POOL)
def trace_gate(**context: Any) -> dict[str, Any]:
    """Report the lot genealogy's consistency issues (``trace_gate``), with the lots concerned."""
    return _run("trace_gate", context)
