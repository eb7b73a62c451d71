"""Land one entity's files for one date: check each against its contract, copy it to raw/ or
quarantine/ byte for byte, exactly once.

Three phases, so that concurrency never changes the outcome:

1. inspect every file in parallel (sha256, name, contract check);
2. decide, in name order, where each file goes, against what the partition already holds
   (same name and bytes: already landed; same bytes under another name: a duplicate; same name,
   other bytes: a new version ``<stem>.v2.<ext>``, never an overwrite);
3. upload in parallel, each blob written with "create only" so nothing is ever replaced.

A run that dies half way leaves complete blobs only (a block blob appears when committed); the
next run finds them and lands the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import ContentSettings

from retail_factory.config import Settings, get_settings
from retail_factory.landing.drop import (
    DropFile,
    cleaned_name,
    date_folder,
    list_drop,
    name_problem,
    safe_segment,
    versioned_name,
)
from retail_factory.sources.contracts import Contract, Finding, ValidationReport, contracts_of, validate_file
from retail_factory.storage import partition_prefix, storage_guard

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient, ContainerClient

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "epcis": "application/ld+json",
}
ERROR_SUFFIX = ".error.json"
REJECTED_ROWS_SUFFIX = ".rejected_rows.jsonl"
MAX_LISTED_ERRORS = 100


@dataclass
class FileOutcome:
    source: str  # path below the drop root
    status: str  # landed | already_landed | quarantined | already_quarantined
    container: str
    blob: str
    sha256: str
    rows: int = 0
    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    rejected_rows: int = 0

    @property
    def in_raw(self) -> bool:
        return self.status in ("landed", "already_landed")


@dataclass
class EntityLanding:
    domain: str
    entity: str
    ingest_date: dt.date
    outcomes: list[FileOutcome] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        raw = [o for o in self.outcomes if o.in_raw]
        return {
            "files": len(self.outcomes),
            "landed": sum(o.status == "landed" for o in self.outcomes),
            "already_landed": sum(o.status == "already_landed" for o in self.outcomes),
            "quarantined": sum(o.status in ("quarantined", "already_quarantined") for o in self.outcomes),
            "rows": sum(o.rows for o in raw),
            "rejected_rows": sum(o.rejected_rows for o in raw),
            "flagged": sum(bool(o.flags) for o in raw),
        }


@dataclass(frozen=True)
class _Target:
    """Where a partition's files go and under which contract (if any) they were checked."""

    domain: str
    entity: str
    contract: str
    contract_version: str
    content_type: str

    @classmethod
    def of(cls, contract: Contract) -> _Target:
        return cls(contract.domain, contract.entity, contract.name, contract.version, CONTENT_TYPES[contract.format])


@dataclass
class _Inspection:
    file: DropFile
    sha256: str
    report: ValidationReport | None
    problem: Finding | None = None  # a problem with the file itself (name, link), before any contract check
    known: tuple[str, str, dict[str, str]] | None = None  # (container, blob, metadata) when already written


@dataclass
class _Plan:
    inspection: _Inspection
    container: str
    blob: str  # full blob name
    status: str
    reasons: list[Finding] = field(default_factory=list)
    version: int = 1
    write_data: bool = True
    write_error: bool = False
    write_rejected_rows: bool = False


class _Partition:
    """What one container already holds for one partition, plus what this run has planned."""

    def __init__(self, container: ContainerClient, prefix: str) -> None:
        self.prefix = prefix
        self.blobs: dict[str, dict[str, str]] = {
            blob.name: dict(blob.metadata or {})
            for blob in container.list_blobs(name_starts_with=prefix, include=["metadata"])
        }
        self._by_sha: dict[str, set[str]] = {}
        for name, meta in self.blobs.items():
            if "sha256" in meta:
                self._by_sha.setdefault(meta["sha256"], set()).add(name)

    def with_bytes(self, sha256: str) -> list[tuple[str, dict[str, str]]]:
        return [(name, self.blobs[name]) for name in sorted(self._by_sha.get(sha256, ()))]

    def has(self, name: str) -> bool:
        return name in self.blobs

    def free_name(self, name: str) -> tuple[str, int]:
        version, candidate = 1, self.prefix + name
        while candidate in self.blobs:
            version += 1
            candidate = self.prefix + versioned_name(name, version)
        return candidate, version

    def reserve(self, blob: str, sha256: str, source_name: str) -> None:
        self.blobs[blob] = {"sha256": sha256, "source_name": quote(source_name)}
        # a new set rather than add(): checking threads may be reading the old one
        self._by_sha[sha256] = self._by_sha.get(sha256, set()) | {blob}


def _results_in_order(futures: list[Future[FileOutcome]]) -> list[FileOutcome]:
    """Every result, or the first failure once all running writes have stopped (none is half done)."""
    wait(futures, return_when=FIRST_EXCEPTION)
    failed = next((f for f in futures if f.done() and not f.cancelled() and f.exception()), None)
    if failed is not None:
        for future in futures:
            future.cancel()
        wait(futures)
        raise failed.exception()  # type: ignore[misc]
    return [future.result() for future in futures]


def _sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _finding_dicts(findings: list[Finding], limit: int = MAX_LISTED_ERRORS) -> list[dict[str, Any]]:
    return [f.to_dict() for f in findings[:limit]]


class Lander:
    def __init__(
        self,
        service: BlobServiceClient,
        *,
        settings: Settings | None = None,
        run_id: str = "manual",
        workers: int | None = None,
        progress: Callable[[FileOutcome], None] | None = None,
    ) -> None:
        self.service = service
        self.settings = settings or get_settings()
        self.run_id = run_id
        self.workers = workers or self.settings.landing_workers
        self.progress = progress
        self.raw = service.get_container_client(self.settings.raw_container)
        self.quarantine = service.get_container_client(self.settings.quarantine_container)

    # --- public --------------------------------------------------------------------------------
    def land_entity(self, contract: Contract, drop_root: Path, day: dt.date) -> EntityLanding:
        """Land every file of ``contract``'s entity delivered for ``day``."""
        folder = date_folder(drop_root, contract.domain, contract.entity, day)
        files = list_drop(folder)
        result = EntityLanding(contract.domain, contract.entity, day)
        if not files:
            log.info("%s/%s %s: no file delivered", contract.domain, contract.entity, day)
            return result
        with storage_guard(self.service, f"listing {contract.domain}/{contract.entity} for {day}"):
            raw = _Partition(self.raw, partition_prefix(contract.domain, contract.entity, day))
            quarantine = _Partition(self.quarantine, partition_prefix(contract.domain, contract.entity, day))
        target = _Target.of(contract)
        # Checking (CPU) and uploading (network) run in two pools, so uploads start while later
        # files are still being checked. Decisions are taken in name order, each seeing every
        # earlier file, so the outcome does not depend on which thread finishes first.
        with (
            ThreadPoolExecutor(self.workers, thread_name_prefix="check") as checking,
            ThreadPoolExecutor(self.workers, thread_name_prefix="upload") as uploading,
        ):
            inspections = [checking.submit(self._inspect, f, contract, day, raw, quarantine) for f in files]
            writes: list[Future[FileOutcome]] = []
            failed = threading.Event()  # storage down: stop queueing uploads that would fail too
            try:
                for inspection in inspections:
                    if failed.is_set():
                        break
                    plan = self._plan(inspection.result(), raw, quarantine)
                    write = uploading.submit(self._execute, plan, target, drop_root, day)
                    write.add_done_callback(lambda done: not done.cancelled() and done.exception() and failed.set())
                    writes.append(write)
                result.outcomes = _results_in_order(writes)
            finally:
                for future in inspections + writes:
                    future.cancel()
        log.info("%s/%s %s: %s", contract.domain, contract.entity, day, result.counts())
        return result

    def land_unknown_entities(self, domain: str, drop_root: Path, day: dt.date) -> list[EntityLanding]:
        """Files in entity folders no contract describes are quarantined, never ignored."""
        known = {c.entity for c in contracts_of(domain)}
        results = []
        domain_folder = drop_root / domain
        if not domain_folder.is_dir():
            return results
        for entity_folder in sorted(p for p in domain_folder.iterdir() if p.is_dir() and p.name not in known):
            if not (entity_folder / day.isoformat()).is_dir():
                continue
            entity = safe_segment(entity_folder.name)
            target = _Target(domain, entity, "none", "none", "application/octet-stream")
            files = list_drop(entity_folder / day.isoformat())
            result = EntityLanding(domain, entity, day)
            reason = Finding(
                "unknown_entity",
                f"'{entity_folder.name}' is not an entity of the {domain} domain (known: "
                f"{', '.join(sorted(known))}). Deliver into the right folder, or add a contract.",
                expected=", ".join(sorted(known)),
                found=entity_folder.name,
            )
            inspections = [_Inspection(f, self._hash_or_empty(f), None, reason) for f in files]
            with storage_guard(self.service, f"listing {domain}/{entity} for {day}"):
                quarantine = _Partition(self.quarantine, partition_prefix(domain, entity, day))
            with ThreadPoolExecutor(self.workers, thread_name_prefix="upload") as uploading:
                plans = [self._quarantine_plan(i, quarantine, [reason]) for i in inspections]
                result.outcomes = _results_in_order(
                    [uploading.submit(self._execute, plan, target, drop_root, day) for plan in plans]
                )
            results.append(result)
        return results

    # --- phase 1: inspect -------------------------------------------------------------------------
    def _hash_or_empty(self, file: DropFile) -> str:
        return hashlib.sha256(b"").hexdigest() if file.is_symlink else _sha256(file.path)

    def _inspect(
        self, file: DropFile, contract: Contract, day: dt.date, raw: _Partition, quarantine: _Partition
    ) -> _Inspection:
        if file.is_symlink:
            target = file.path.readlink()
            return _Inspection(
                file,
                self._hash_or_empty(file),
                None,
                Finding(
                    "symbolic_link",
                    f"'{file.name}' is a symbolic link (to {target}); links are not followed. Deliver the file itself.",
                    found=str(target),
                ),
            )
        sha256 = _sha256(file.path)
        known = self._already_written(file.name, sha256, raw, quarantine)
        if known is not None:  # a re-run: the bytes are safe already, no need to check them again
            return _Inspection(file, sha256, None, known=known)
        problem = name_problem(file.name)
        if problem:
            return _Inspection(
                file,
                sha256,
                None,
                Finding(
                    "bad_file_name",
                    f"'{file.name}': {problem}. Rename the file and deliver it again.",
                    found=file.name,
                ),
            )
        return _Inspection(file, sha256, validate_file(file.path, contract, day), None)

    def _already_written(
        self, name: str, sha256: str, raw: _Partition, quarantine: _Partition
    ) -> tuple[str, str, dict[str, str]] | None:
        """(container, blob, metadata) of this very file from an earlier run, with everything beside it."""
        for blob, meta in raw.with_bytes(sha256):
            complete = not meta.get("rejected_rows") or quarantine.has(blob + REJECTED_ROWS_SUFFIX)
            if meta.get("source_name") == quote(name) and complete:
                return self.raw.container_name, blob, meta
        for blob, meta in quarantine.with_bytes(sha256):
            if meta.get("source_name") == quote(name) and quarantine.has(blob + ERROR_SUFFIX):
                return self.quarantine.container_name, blob, meta
        return None

    # --- phase 2: decide -------------------------------------------------------------------------
    def _plan(self, inspection: _Inspection, raw: _Partition, quarantine: _Partition) -> _Plan:
        name, sha = inspection.file.name, inspection.sha256
        if inspection.known is not None:
            container, blob, _ = inspection.known
            status = "already_landed" if container == self.raw.container_name else "already_quarantined"
            return _Plan(inspection, container, blob, status, write_data=False)
        if inspection.problem is not None:
            return self._quarantine_plan(inspection, quarantine, [inspection.problem])
        for blob, meta in raw.with_bytes(sha):
            if meta.get("source_name") == quote(name):  # landed, but its rejected rows were not written
                return _Plan(
                    inspection,
                    self.raw.container_name,
                    blob,
                    "already_landed",
                    write_data=False,
                    write_rejected_rows=True,
                )
            return self._quarantine_plan(
                inspection,
                quarantine,
                [
                    Finding(
                        "duplicate_file",
                        f"'{name}' has the same bytes as '{blob}', already landed from "
                        f"'{meta.get('source_name', '?')}'. A file is landed once; nothing to do if this was a resend.",
                        expected="bytes not landed before",
                        found=f"sha256 {sha}",
                    )
                ],
            )
        report = inspection.report
        assert report is not None
        if not report.accepted:
            return self._quarantine_plan(inspection, quarantine, report.rejection_reasons())
        blob, version = raw.free_name(name)
        raw.reserve(blob, sha, name)
        return _Plan(
            inspection,
            self.raw.container_name,
            blob,
            "landed",
            version=version,
            write_rejected_rows=bool(report.row_findings),
        )

    def _quarantine_plan(self, inspection: _Inspection, quarantine: _Partition, reasons: list[Finding]) -> _Plan:
        name, sha = inspection.file.name, inspection.sha256
        for blob, meta in quarantine.with_bytes(sha):
            if meta.get("source_name") == quote(name):
                return _Plan(
                    inspection,
                    self.quarantine.container_name,
                    blob,
                    "already_quarantined",
                    reasons,
                    write_data=False,
                    write_error=not quarantine.has(blob + ERROR_SUFFIX),
                )
        safe = cleaned_name(name, sha) if name_problem(name) else name
        blob, version = quarantine.free_name(safe)
        quarantine.reserve(blob, sha, name)
        return _Plan(
            inspection,
            self.quarantine.container_name,
            blob,
            "quarantined",
            reasons,
            version=version,
            write_data=not inspection.file.is_symlink,
            write_error=True,
        )

    # --- phase 3: write ---------------------------------------------------------------------------
    def _execute(self, plan: _Plan, target: _Target, drop_root: Path, day: dt.date) -> FileOutcome:
        inspection = plan.inspection
        report = inspection.report
        source = (
            inspection.file.path.relative_to(drop_root).as_posix()
            if not inspection.file.is_symlink
            else (inspection.file.path.parent.relative_to(drop_root) / inspection.file.path.name).as_posix()
        )
        if inspection.known is not None:
            meta = inspection.known[2]
            flags = [unquote(meta["flags"])] if meta.get("flags") else []
            rows, rejected_rows = int(meta.get("rows", 0)), int(meta.get("rejected_rows", 0))
        else:
            flags = [w.message for w in report.warnings] if report else []
            rows = report.rows if report else 0
            rejected_rows = report.bad_rows if report and plan.container == self.raw.container_name else 0
        with storage_guard(self.service, f"landing {source}"):
            if plan.write_data:
                metadata = self._metadata(plan, target, source, day, rows, flags, rejected_rows)
                self._upload_data(plan, target, metadata)
            if plan.write_error:
                self._upload_error(plan, target, source, day)
            if plan.write_rejected_rows:
                self._upload_rejected_rows(plan, source)
        outcome = FileOutcome(
            source,
            plan.status,
            plan.container,
            plan.blob,
            inspection.sha256,
            rows,
            [r.message for r in plan.reasons],
            flags,
            rejected_rows,
        )
        log.info(
            "%-19s %s -> %s/%s%s",
            plan.status,
            source,
            plan.container,
            plan.blob,
            f" ({plan.reasons[0].message})" if plan.reasons else "",
        )
        if self.progress:
            self.progress(outcome)
        return outcome

    def _metadata(
        self,
        plan: _Plan,
        target: _Target,
        source: str,
        day: dt.date,
        rows: int,
        flags: list[str],
        rejected_rows: int,
    ) -> dict[str, str]:
        meta = {
            "sha256": plan.inspection.sha256,
            "source_name": quote(plan.inspection.file.name),
            "source_path": quote(source),
            "rows": str(rows),
            "contract": target.contract,
            "contract_version": target.contract_version,
            "ingest_date": day.isoformat(),
            "version": str(plan.version),
            "run_id": quote(self.run_id),
        }
        if flags:
            meta["flags"] = quote("; ".join(flags))[:1000]
        if rejected_rows:
            meta["rejected_rows"] = str(rejected_rows)
        return meta

    def _upload_data(self, plan: _Plan, target: _Target, metadata: dict[str, str]) -> None:
        client = self.service.get_container_client(plan.container)
        path = plan.inspection.file.path
        try:
            with path.open("rb") as stream:  # streamed in blocks: memory stays flat for large files
                client.upload_blob(
                    plan.blob,
                    stream,
                    length=plan.inspection.file.size,
                    overwrite=False,
                    metadata=metadata,
                    content_settings=ContentSettings(content_type=target.content_type),
                    max_concurrency=2,
                )
        except ResourceExistsError:
            existing = client.get_blob_client(plan.blob).get_blob_properties().metadata or {}
            if existing.get("sha256") != plan.inspection.sha256:
                raise RuntimeError(
                    f"{plan.container}/{plan.blob} appeared with other bytes while this run was writing it "
                    "(another run for the same date?). Nothing was overwritten; run the task again."
                ) from None

    def _error_document(self, plan: _Plan, target: _Target, source: str, day: dt.date) -> dict[str, Any]:
        report = plan.inspection.report
        sample = report.row_findings if report else []
        first = plan.reasons[0].message if plan.reasons else "rejected"
        return {
            "file": source,
            "quarantined_as": f"{plan.container}/{plan.blob}",
            "domain": target.domain,
            "entity": target.entity,
            "ingest_date": day.isoformat(),
            "contract": target.contract,
            "contract_version": target.contract_version,
            "contract_doc": f"docs/contracts.md#{target.domain}{target.entity}",
            "sha256": plan.inspection.sha256,
            "size_bytes": plan.inspection.file.size,
            "rows": report.rows if report else None,
            "reason": first,
            "errors": _finding_dicts(plan.reasons),
            "errors_total": len(plan.reasons),
            "row_errors_sample": _finding_dicts(sample, 50),
            "row_errors_total": report.row_findings_total if report else 0,
            "how_to_fix": "Fix what the errors say and deliver the file again into the same date folder. "
            "A corrected file lands; this copy stays here for the record.",
            "run_id": self.run_id,
            "quarantined_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }

    def _upload_error(self, plan: _Plan, target: _Target, source: str, day: dt.date) -> None:
        document = self._error_document(plan, target, source, day)
        self.quarantine.upload_blob(
            plan.blob + ERROR_SUFFIX,
            json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8"),
            overwrite=True,
            content_settings=ContentSettings(content_type="application/json"),
        )

    def _rejected_rows_blob(self, raw_blob: str) -> str:
        return raw_blob + REJECTED_ROWS_SUFFIX

    def _upload_rejected_rows(self, plan: _Plan, source: str) -> None:
        """Rows that break the contract in a file that still landed: kept with their reasons."""
        report = plan.inspection.report
        assert report is not None
        lines = (
            json.dumps(
                {"file": source, "raw_blob": f"{self.raw.container_name}/{plan.blob}"} | f.to_dict(),
                ensure_ascii=False,
            )
            for f in report.row_findings
        )
        self.quarantine.upload_blob(
            self._rejected_rows_blob(plan.blob),
            "\n".join(lines).encode("utf-8") + b"\n",
            overwrite=True,
            content_settings=ContentSettings(content_type="application/x-ndjson"),
        )
