"""Load one ingest date of the raw zone into the warehouse's ``raw`` tables.

For each entity: list the blobs of ``raw/<domain>/<entity>/ingest_date=D/``, keep the latest
version of each delivered file (a re-delivery lands as ``<stem>.v2.<ext>``), download them, read
them with DuckDB, and replace the date's partition of the raw table, every table of the load in
one transaction. A load whose blobs (names and sha256) are already the partition's changes
nothing, not even the load time, so re-running a date is a no-op; a failure leaves the previous
state. An entity with no blob for the date gets an empty partition, and the summary says so.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from retail_factory.config import get_settings
from retail_factory.sources.contracts import Contract, contracts_of
from retail_factory.storage import partition_prefix, storage_guard
from retail_factory.warehouse.raw_tables import LOAD_LOG_COLUMNS, RawTable, tables_of_entity
from retail_factory.warehouse.readers import LandedFile, read_epcis_file, read_tabular_file

if TYPE_CHECKING:
    import duckdb
    from azure.storage.blob import BlobServiceClient

    from retail_factory.warehouse.connections import Warehouse

log = logging.getLogger(__name__)


@dataclass
class EntityLoad:
    """What one entity's load did for a date."""

    domain: str
    entity: str
    files: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # raw table → rows in the partition
    unchanged: bool = False

    @property
    def outcome(self) -> str:
        if self.unchanged:
            return "unchanged"
        return "loaded" if self.files else "no_files"


@dataclass
class LoadSummary:
    day: dt.date
    warehouse: str
    entities: list[EntityLoad]

    def to_dict(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "warehouse": self.warehouse,
            "entities": [asdict(e) | {"outcome": e.outcome} for e in self.entities],
        }


@dataclass(frozen=True)
class _Blob:
    name: str
    sha256: str


def latest_versions(blobs: Iterable[tuple[str, dict[str, str]]]) -> list[_Blob]:
    """One blob per delivered file: the highest ``version`` of each ``source_name``."""
    best: dict[str, tuple[int, _Blob]] = {}
    for name, metadata in blobs:
        source = unquote(metadata.get("source_name", name))
        version = int(metadata.get("version", "1"))
        if source not in best or version > best[source][0]:
            best[source] = (version, _Blob(name, metadata.get("sha256", "")))
    return sorted((blob for _, blob in best.values()), key=lambda b: b.name)


class RawLoader:
    """Loads landed blobs of a date into a warehouse."""

    def __init__(self, service: BlobServiceClient, warehouse: Warehouse, workers: int | None = None) -> None:
        self.service = service
        self.warehouse = warehouse
        self.settings = get_settings()
        self.workers = workers or self.settings.landing_workers

    def load_day(self, day: dt.date, domains: Iterable[str]) -> LoadSummary:
        self.warehouse.ensure_raw_tables()
        contracts = [c for domain in domains for c in contracts_of(domain)]
        container = self.service.get_container_client(self.settings.raw_container)
        with storage_guard(self.service, f"listing the raw blobs of {day}"):
            listed = {c.name: self._list(container, c, day) for c in contracts}
        loads = [EntityLoad(c.domain, c.entity, files=len(listed[c.name])) for c in contracts]
        already = self.warehouse.loaded_blobs(day)
        to_load = []
        for contract, load in zip(contracts, loads, strict=True):
            wanted = {(b.name, b.sha256) for b in listed[contract.name]}
            # Loaded before from exactly these blobs (or from none, as an empty partition): nothing to do.
            key = (contract.domain, contract.entity)
            load.unchanged = key in already and already[key] == wanted
            if not load.unchanged:
                to_load.append((contract, load))
        if to_load:
            self._load(day, to_load, listed)
        for load in loads:
            log.info(
                "%s.%s on %s: %s (%d files, rows %s)",
                load.domain,
                load.entity,
                day,
                load.outcome,
                load.files,
                load.rows,
            )
        return LoadSummary(day, self.warehouse.kind, loads)

    def _list(self, container, contract: Contract, day: dt.date) -> list[_Blob]:
        prefix = partition_prefix(contract.domain, contract.entity, day)
        listed = (
            (b.name, dict(b.metadata or {}))
            for b in container.list_blobs(name_starts_with=prefix, include=["metadata"])
        )
        return latest_versions(listed)

    def _download(self, blobs: list[tuple[Contract, _Blob]], folder: Path) -> list[LandedFile]:
        container = self.service.get_container_client(self.settings.raw_container)

        def fetch(index: int, contract: Contract, blob: _Blob) -> LandedFile:
            path = folder / f"{index:06d}_{Path(blob.name).name}"
            with path.open("wb") as out:
                container.get_blob_client(blob.name).download_blob(max_concurrency=1).readinto(out)
            return LandedFile(blob.name, blob.sha256, path, contract)

        with storage_guard(self.service, "downloading raw blobs"), ThreadPoolExecutor(self.workers) as pool:
            futures = [pool.submit(fetch, i, c, b) for i, (c, b) in enumerate(blobs)]
            return [f.result() for f in futures]

    def _load(self, day: dt.date, to_load: list[tuple[Contract, EntityLoad]], listed: dict[str, list[_Blob]]) -> None:
        loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # lineage only: when these rows arrived
        wanted = [(contract, blob) for contract, _ in to_load for blob in listed[contract.name]]
        with tempfile.TemporaryDirectory(prefix="retail-factory-load-") as tmp:
            files = self._download(wanted, Path(tmp))
            with self.warehouse.staging_area() as con:
                con.execute(f"create or replace temp table load_log ({LOAD_LOG_COLUMNS})")
                temps: dict[str, RawTable] = {}
                for contract, load in to_load:
                    tables = {t.entity: t for t in tables_of_entity(contract.domain, contract.entity)}
                    into = {entity: _create_temp(con, table) for entity, table in tables.items()}
                    load.rows = dict.fromkeys((t.name for t in tables.values()), 0)
                    for file in (f for f in files if f.contract is contract):
                        rows = self._read(con, file, tables, into, day, loaded_at, load)
                        con.execute(
                            "insert into load_log values (?, ?, ?, ?, ?, ?, ?)",
                            [day, contract.domain, contract.entity, file.blob, file.sha256, rows, loaded_at],
                        )
                    if not load.files:  # an empty partition is a load too: re-running it is a no-op
                        con.execute(
                            "insert into load_log values (?, ?, ?, null, null, 0, ?)",
                            [day, contract.domain, contract.entity, loaded_at],
                        )
                    temps.update({into[entity]: table for entity, table in tables.items()})
                self.warehouse.replace_partitions(con, day, temps, "load_log")

    @staticmethod
    def _read(
        con: duckdb.DuckDBPyConnection,
        file: LandedFile,
        tables: dict[str, RawTable],
        into: dict[str, str],
        day: dt.date,
        loaded_at: dt.datetime,
        load: EntityLoad,
    ) -> int:
        """Read one file into the temporary tables; its row count (events for EPCIS)."""
        if file.contract.format == "epcis":
            counts = read_epcis_file(con, file, tables, into, day, loaded_at)
            for entity, count in counts.items():
                load.rows[tables[entity].name] += count
            return counts["epcis_events"]
        ((entity, table),) = tables.items()
        rows = read_tabular_file(con, file, table, into[entity], day, loaded_at)
        load.rows[table.name] += rows
        return rows


def _create_temp(con: duckdb.DuckDBPyConnection, table: RawTable) -> str:
    name = f"load_{table.name}"
    con.execute(f"create or replace temp table {name} ({table.columns_sql()})")
    return name
