"""Blob Storage access and the container layout of the factory.

The client comes from Airflow's Azure provider (``WasbHook``), so the same code talks to Azurite
or to a real storage account: only the Airflow connection changes (see docs/runbook.md).

Layout::

    raw/<domain>/<entity>/ingest_date=YYYY-MM-DD/<file>          immutable copies of valid files
    quarantine/<domain>/<entity>/ingest_date=YYYY-MM-DD/<file>   rejected files, beside <file>.error.json
    curated/…   reports/…                                         written by later steps
"""

from __future__ import annotations

import contextlib
import datetime as dt
import mimetypes
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from azure.core.exceptions import ResourceExistsError, ServiceRequestError, ServiceResponseError

from retail_factory.config import CONTAINERS, get_settings

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient


class StorageUnavailableError(RuntimeError):
    """Blob Storage did not answer; the work done so far is safe and a retry finishes the rest."""


def blob_service(conn_id: str | None = None) -> BlobServiceClient:
    """A client for the storage account behind the Airflow connection ``conn_id``."""
    from airflow.providers.microsoft.azure.hooks.wasb import WasbHook

    return WasbHook(wasb_conn_id=conn_id or get_settings().wasb_conn_id).get_conn()


def ensure_containers(service: BlobServiceClient, names: tuple[str, ...] = CONTAINERS) -> None:
    """Create the factory's containers where they do not exist yet (idempotent)."""
    with storage_guard(service, "creating the containers"):
        for name in names:
            with contextlib.suppress(ResourceExistsError):
                service.create_container(name)


def empty_containers(service: BlobServiceClient) -> None:
    """The factory's containers, present and empty (a demo, a test starting afresh)."""
    ensure_containers(service)
    for container in service.list_containers():
        client = service.get_container_client(container.name)
        names = [blob.name for blob in client.list_blobs()]
        for start in range(0, len(names), 200):  # a batch holds 256 at most
            client.delete_blobs(*names[start : start + 200])


def partition_prefix(domain: str, entity: str, ingest_date: dt.date) -> str:
    return f"{domain}/{entity}/ingest_date={ingest_date.isoformat()}/"


def blob_name(domain: str, entity: str, ingest_date: dt.date, file_name: str) -> str:
    return partition_prefix(domain, entity, ingest_date) + file_name


@contextmanager
def storage_guard(service: BlobServiceClient, action: str) -> Iterator[None]:
    """Turn "cannot reach the service" into one clear, retryable error."""
    try:
        yield
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise StorageUnavailableError(
            f"Blob Storage at {service.url} did not answer while {action} ({type(exc).__name__}: {exc}). "
            "Check that the service is up and that the Airflow connection points at it. "
            "Files already landed are complete; a retry lands only what is missing."
        ) from exc


mimetypes.add_type("application/ld+json", ".jsonld")
mimetypes.add_type("text/markdown", ".md")


def replace_folder(
    service: BlobServiceClient, container: str, prefix: str, files: Mapping[str, bytes], action: str
) -> str:
    """Make ``<container>/<prefix>`` hold exactly ``files`` (path under the prefix -> content).

    A report is replaced whole, so a re-run leaves no file of an earlier run behind. Each blob gets
    the content type of its name, so a browser opens HTML pages and images from the storage account.
    """
    from azure.storage.blob import ContentSettings

    client = service.get_container_client(container)
    with storage_guard(service, action):
        for old in list(client.list_blobs(name_starts_with=prefix)):
            client.delete_blob(old.name)
        for name, data in files.items():
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            client.upload_blob(prefix + name, data, overwrite=True, content_settings=ContentSettings(content_type=kind))
    return f"{container}/{prefix}"
