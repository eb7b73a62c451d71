"""dbt docs for people: one static HTML page, in Blob and where the Airflow UI shows it.

``dbt docs generate --static`` writes the whole site into one ``static_index.html``. It goes to
``reports/dbt-docs/index.html`` in Blob, and to ``<home>/.warehouse/dbt-docs/index.html``, which
Cosmos' Airflow plugin serves under the UI's "dbt docs" menu (configured in config.py). The
docs are rebuilt only when the dbt project changed: the catalog they show is the project's shape.
"""

from __future__ import annotations

import logging
import shutil
from typing import TYPE_CHECKING, Any

from retail_factory.config import get_settings
from retail_factory.storage import storage_guard
from retail_factory.warehouse.dbt import _project_fingerprint, run_dbt

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

log = logging.getLogger(__name__)
DOCS_BLOB = "dbt-docs/index.html"


def publish_dbt_docs(service: BlobServiceClient) -> dict[str, Any]:
    settings = get_settings()
    local = settings.dbt_docs_dir / "index.html"
    stamp = settings.dbt_docs_dir / "fingerprint"
    fingerprint = _project_fingerprint(settings.dbt_project_dir)
    rebuilt = not (local.exists() and stamp.exists() and stamp.read_text() == fingerprint)
    if rebuilt:
        run_dbt(["docs", "generate", "--static"], settings)
        settings.dbt_docs_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(settings.dbt_target_dir / "static_index.html", local)
        stamp.write_text(fingerprint)
    container = service.get_container_client(settings.reports_container)
    with storage_guard(service, "uploading the dbt docs"), local.open("rb") as page:
        container.upload_blob(DOCS_BLOB, page, overwrite=True, content_settings=_html())
    where = f"{settings.reports_container}/{DOCS_BLOB}"
    log.info(
        "dbt docs %s: %s (Airflow UI: Browse → dbt docs; local file %s)",
        "rebuilt" if rebuilt else "unchanged",
        where,
        local,
    )
    return {"blob": where, "local": str(local), "rebuilt": rebuilt}


def _html() -> Any:
    from azure.storage.blob import ContentSettings

    return ContentSettings(content_type="text/html; charset=utf-8")
