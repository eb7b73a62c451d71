"""The data quality page: each gate's latest verdict per table, what was quarantined and why.

Gate results are the ``gate.json`` each gate writes beside its Data Docs in
``reports/quality/<date>/<gate>/`` (quality/gate.py); quarantined files are the ``.error.json``
the landing writes beside each rejected file, and rows rejected inside landed files are in the
``.rejected_rows.jsonl`` beside them; rows rejected by dbt's staging are ``marts.fct_rejected_rows``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from retail_factory.config import get_settings
from retail_factory.landing.lander import ERROR_SUFFIX, REJECTED_ROWS_SUFFIX
from retail_factory.quality.gate import REPORT_PREFIX
from retail_factory.warehouse.connections import Query

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

GATES = ("raw_gate", "curated_gate", "trace_gate")
DATES_SHOWN = 7
QUARANTINE_SHOWN = 50


@dataclass
class GateDay:
    gate: str
    date: str
    passed: bool
    tables: list[dict[str, Any]] = field(default_factory=list)  # one per validated suite
    failures: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    docs: str = ""  # the Data Docs' path below reports/


def gate_dates(service: BlobServiceClient) -> list[str]:
    """The dates with a gate report, newest first."""
    container = service.get_container_client(get_settings().reports_container)
    dates = {item.name.strip("/").split("/")[-1] for item in container.walk_blobs(f"{REPORT_PREFIX}/", delimiter="/")}
    return sorted(dates, reverse=True)[:DATES_SHOWN]


def gate_results(service: BlobServiceClient, date: str) -> list[GateDay]:
    """Every gate's results for ``date``, per table (suite): expectations run, failed critical, warnings."""
    container = service.get_container_client(get_settings().reports_container)
    results = []
    for gate in GATES:
        blob = container.get_blob_client(f"{REPORT_PREFIX}/{date}/{gate}/gate.json")
        if not blob.exists():
            continue
        report = json.loads(blob.download_blob().readall())
        day = GateDay(gate, date, bool(report["passed"]), failures=report["failures"], warnings=report["warnings"],
                      empty=report["empty"], docs=f"{REPORT_PREFIX}/{date}/{gate}/data_docs/index.html")  # fmt: skip
        for suite, counts in sorted(report["validated"].items()):
            day.tables.append(
                {
                    "suite": suite,
                    **counts,
                    "critical": sum(1 for f in day.failures if f["suite"] == suite),
                    "warnings": sum(1 for w in day.warnings if w["suite"] == suite),
                }
            )
        results.append(day)
    return results


def quarantined_files(service: BlobServiceClient, limit: int = QUARANTINE_SHOWN) -> list[dict[str, Any]]:
    """Rejected files, newest ingest date first, each with the reason its ``.error.json`` gives."""
    container = service.get_container_client(get_settings().quarantine_container)
    files = []
    for name in _newest(container, ERROR_SUFFIX, limit):
        error = json.loads(container.get_blob_client(name).download_blob().readall())
        files.append({"blob": name.removesuffix(ERROR_SUFFIX), "error_blob": name, **error})
    return files


def files_with_rejected_rows(service: BlobServiceClient, limit: int = QUARANTINE_SHOWN) -> list[dict[str, Any]]:
    """Landed files that had rows rejected by their contract: the rows' count and the first reasons."""
    container = service.get_container_client(get_settings().quarantine_container)
    files = []
    for name in _newest(container, REJECTED_ROWS_SUFFIX, limit):
        lines = container.get_blob_client(name).download_blob().readall().decode("utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        files.append({"blob": name, "rows": len(rows), "sample": rows[:5], "file": rows[0].get("file") if rows else ""})
    return files


def rejected_rows(query: Query) -> list[dict[str, Any]]:
    """Rows dbt's staging rejected on the latest ingest dates, by table and reason, with an example."""
    columns, rows = query(
        "select ingest_date, source_table, rejection_code, count(*) as rows_rejected,"
        " min(source_blob) as example_blob, min(source_row) as example_row, min(rejection_reason) as example_reason"
        " from marts.fct_rejected_rows"
        " where ingest_date >= (select max(ingest_date) from marts.fct_rejected_rows) - 6"
        " group by ingest_date, source_table, rejection_code"
        " order by ingest_date desc, rows_rejected desc, source_table"
    )
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _newest(container: Any, suffix: str, limit: int) -> list[str]:
    """The names ending in ``suffix``, newest ingest date first."""
    names = [item.name for item in container.list_blobs() if item.name.endswith(suffix)]
    return sorted(names, key=lambda name: (_ingest_date(name), name), reverse=True)[:limit]


def _ingest_date(blob_name: str) -> str:
    for part in blob_name.split("/"):
        if part.startswith("ingest_date="):
            return part.removeprefix("ingest_date=")
    return ""
