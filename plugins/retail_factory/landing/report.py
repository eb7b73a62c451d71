"""What a date partition holds in raw/ and quarantine/: the counts an asset event carries."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from retail_factory.config import get_settings
from retail_factory.landing.lander import ERROR_SUFFIX, REJECTED_ROWS_SUFFIX
from retail_factory.storage import partition_prefix, storage_guard

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient


def entity_state(service: BlobServiceClient, domain: str, entity: str, day: dt.date) -> dict[str, int]:
    settings = get_settings()
    prefix = partition_prefix(domain, entity, day)
    with storage_guard(service, f"summarising {prefix}"):
        raw = list(
            service.get_container_client(settings.raw_container).list_blobs(
                name_starts_with=prefix, include=["metadata"]
            )
        )
        kept = [
            b.name
            for b in service.get_container_client(settings.quarantine_container).list_blobs(name_starts_with=prefix)
        ]
    quarantined = [name for name in kept if name.endswith(ERROR_SUFFIX)]
    rejected_rows = [name for name in kept if name.endswith(REJECTED_ROWS_SUFFIX)]
    return {
        "files": len(raw),
        "rows": sum(int((b.metadata or {}).get("rows", 0)) for b in raw),
        "rejected_rows": sum(int((b.metadata or {}).get("rejected_rows", 0)) for b in raw),
        "flagged": sum(1 for b in raw if (b.metadata or {}).get("flags")),
        "quarantined": len(quarantined),
        "files_with_rejected_rows": len(rejected_rows),
    }


def domain_state(service: BlobServiceClient, domain: str, entities: list[str], day: dt.date) -> dict[str, Any]:
    """Totals over the domain's entities plus one line per entity (the extra of a raw asset event)."""
    per_entity = {entity: entity_state(service, domain, entity, day) for entity in entities}
    totals = {
        key: sum(state[key] for state in per_entity.values())
        for key in ("files", "rows", "rejected_rows", "flagged", "quarantined")
    }
    return {"ingest_date": day.isoformat(), "domain": domain, **totals, "entities": per_entity}
