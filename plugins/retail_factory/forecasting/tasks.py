"""The ``forecast_stockouts`` DAG: scheduled on ``curated_stock``, one run per business date.

``forecast`` computes and writes the ``ml.*`` tables for the date (one transaction), then
``export_forecasts`` puts them in ``curated/`` as Parquet and emits ``stockout_forecasts``, and
``write_forecast_report`` replaces ``reports/forecasts/<date>/``. Each step reads what the
previous one wrote to the warehouse, so any of them can be re-run alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, dag, task
from airflow.timetables.simple import PartitionedAssetTimetable

from retail_factory.alerts import failure_alert
from retail_factory.assets import CURATED_ASSETS, FORECAST_ASSET
from retail_factory.config import WAREHOUSE_POOL, get_settings
from retail_factory.runs import date_param

log = logging.getLogger(__name__)

DEFAULT_ARGS = {"owner": "data-science", "retries": 2, "retry_delay": dt.timedelta(minutes=1)}


@task(pool=WAREHOUSE_POOL)
def forecast(**context: Any) -> dict[str, Any]:
    """Detect past stockouts, unconstrain, forecast 14 days, judge the risk, propose orders: ``ml.*``."""
    from retail_factory.forecasting.job import run_forecast
    from retail_factory.forecasting.trained_store import BlobModelStore
    from retail_factory.runs import business_date
    from retail_factory.storage import blob_service, ensure_containers

    params = context["params"]
    level = params.get("service_level")
    service = blob_service()
    ensure_containers(service)
    return run_forecast(
        business_date(context),
        service_level=float(level) if level is not None else None,
        store=BlobModelStore(service),
        retrain=bool(params.get("retrain")),
    )


@task(pool=WAREHOUSE_POOL, outlets=[FORECAST_ASSET])
def export_forecasts(**context: Any) -> dict[str, Any]:
    """The date's ``ml.*`` rows as Parquet in ``curated/``; emits ``stockout_forecasts`` for the date."""
    from retail_factory.forecasting.outputs import exports
    from retail_factory.runs import business_date
    from retail_factory.storage import blob_service, ensure_containers
    from retail_factory.warehouse.connections import get_warehouse
    from retail_factory.warehouse.export import export_marts

    day = business_date(context)
    service = blob_service()
    ensure_containers(service)
    exported = export_marts(get_warehouse(), service, day, exports())
    event = context["outlet_events"][FORECAST_ASSET]
    event.extra = {"date": day.isoformat(), "tables": {name: info["rows"] for name, info in exported.items()}}
    event.add_partitions(day.isoformat())
    return {"date": day.isoformat(), "exported": exported}


@task(pool=WAREHOUSE_POOL)
def write_forecast_report(**context: Any) -> str:
    """Replace ``reports/forecasts/<date>/`` (a page per region, plots of the top risks)."""
    from retail_factory.forecasting.report import write_report
    from retail_factory.runs import business_date
    from retail_factory.storage import blob_service, ensure_containers

    service = blob_service()
    ensure_containers(service)
    page = write_report(business_date(context), service)
    log.info("forecast report: %s/%s", service.url.rstrip("/"), page)
    return page


def forecast_stockouts_dag(doc_md: str | None = None) -> DAG:
    @dag(
        dag_id="forecast_stockouts",
        schedule=PartitionedAssetTimetable(assets=CURATED_ASSETS["stock"]),
        start_date=pendulum.datetime(2025, 1, 1, tz=get_settings().timezone),
        catchup=False,
        max_active_runs=1,
        tags=["forecasting", "warehouse"],
        default_args=DEFAULT_ARGS,
        doc_md=doc_md,
        on_failure_callback=failure_alert(),
        params={
            "date": date_param("to forecast from"),
            "retrain": Param(
                False,
                type="boolean",
                description="Train the models again even when some trained within the last week exist.",
            ),
            "service_level": Param(
                None,
                type=["null", "number"],
                minimum=0.5,
                exclusiveMaximum=1,
                description="Target service level of the orders (default: RETAIL_FACTORY_SERVICE_LEVEL, 0.975).",
            ),
        },
    )
    def forecast_stockouts() -> None:
        forecast() >> export_forecasts() >> write_forecast_report()

    return forecast_stockouts()
