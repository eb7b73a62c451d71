"""Retail Data Factory's pages in the Airflow UI (an Airflow 3 plugin).

Mounts the factory's FastAPI app (retail_factory/web) on Airflow's API server under
``/retail-factory`` and adds its pages to the UI's navigation, as external views shown inside
the UI: Stockout board, Trace and Data quality. The pages sit behind Airflow's own login.
Registers the deadline reference of the ``transform`` DAG's alert (retail_factory/alerts.py).
"""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.plugins_manager import AirflowPlugin
from retail_factory.alerts import CuratedDataDue
from retail_factory.web.app import URL_PREFIX, create_app

CATEGORY = "Retail Factory"
PAGES = (("Stockout board", "stockouts"), ("Trace", "trace"), ("Data quality", "quality"))


def _view(name: str, path: str) -> dict[str, str]:
    # href without a leading slash: relative to the UI's base URL, so a proxy's prefix is kept.
    return {"name": name, "href": f"{URL_PREFIX.lstrip('/')}/{path}", "url_route": f"retail-factory-{path}",
            "category": CATEGORY, "destination": "nav"}  # fmt: skip


class RetailFactoryPlugin(AirflowPlugin):
    name = "retail_factory"
    fastapi_apps: ClassVar[list[dict[str, Any]]] = [
        {"app": create_app(), "url_prefix": URL_PREFIX, "name": "Retail Data Factory"}
    ]
    external_views: ClassVar[list[dict[str, str]]] = [_view(name, path) for name, path in PAGES]
    # The scheduler finds the transform DAG's deadline reference here (alerts.py).
    deadline_references: ClassVar[list[type]] = [CuratedDataDue]
