"""``make demo``: start Azurite, simulate a chain, run the factory over it, say what happened."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retail_factory.config import get_settings
from retail_factory.devstack import Azurite
from retail_factory.landing.lander import ERROR_SUFFIX
from retail_factory.runner import DagRunResult, run_factory
from retail_factory.sources.simulator import SimulationParams, simulate


@dataclass(frozen=True)
class DemoParams:
    stores: int = 20
    products: int = 300
    days: int = 120
    start: dt.date = dt.date(2025, 2, 3)
    seed: int = 42
    faults: float = 0.02


def _say(text: str = "") -> None:
    print(text, flush=True)


def _quarantine_reasons(connection_string: str) -> list[dict[str, Any]]:
    from azure.storage.blob import BlobServiceClient

    container = BlobServiceClient.from_connection_string(connection_string).get_container_client(
        get_settings().quarantine_container
    )
    reports = []
    for blob in container.list_blobs():
        if blob.name.endswith(ERROR_SUFFIX):
            document = json.loads(container.download_blob(blob.name).readall())
            reports.append(
                {
                    "file": document["file"],
                    "blob": blob.name,
                    "code": document["errors"][0]["code"] if document["errors"] else "?",
                    "reason": document["reason"],
                }
            )
    return reports


def _storage_counts(connection_string: str) -> dict[str, int]:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(connection_string)
    return {
        c.name: sum(1 for _ in service.get_container_client(c.name).list_blobs()) for c in service.list_containers()
    }


def run_demo(params: DemoParams = DemoParams()) -> int:
    settings = get_settings()
    out = settings.demo_dir / "sim"
    last = params.start + dt.timedelta(days=params.days - 1)
    _say(
        f"Retail Data Factory demo: {params.stores} stores × {params.products} products × {params.days} days "
        f"({params.start} → {last}), fault rate {params.faults:.0%}"
    )

    _say(f"\n1/3 Simulating the chain into {out} …")
    summary = simulate(
        SimulationParams(params.stores, params.products, params.days, params.start, params.seed, out, params.faults)
    )
    _say(
        f"    {summary.files} files, {summary.rows:,} rows, {summary.faults} injected faults, "
        f"in {summary.seconds:.0f} s"
    )

    with Azurite(Path(tempfile.mkdtemp(prefix="retail-factory-azurite-"))) as azurite:
        os.environ["AIRFLOW_CONN_WASB_DEFAULT"] = azurite.airflow_connection()
        _say(
            f"\n2/3 Azurite (Blob Storage emulator) on {azurite.blob_endpoint}; running the landing DAGs "
            f"for each date through Airflow (dag.test, metadata in {settings.airflow_home}) …"
        )
        results = run_factory(out / "drop", params.start, last, on_result=_progress)
        _say("\n3/3 What landed")
        report = _report(results, azurite.connection_string)
    report_path = settings.demo_dir / "landing-report.json"
    report_path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    _print_report(report, out, report_path)
    return 0 if all(r.ok for r in results) else 1


def _progress(result: DagRunResult) -> None:
    extra = result.asset_events[0]["extra"] if result.asset_events else {}
    mark = "ok " if result.ok else "FAILED"
    detail = (
        (
            f"{extra.get('files', 0):>4} files {extra.get('rows', 0):>7,} rows "
            f"{extra.get('quarantined', 0):>2} quarantined"
        )
        if extra
        else ", ".join(result.failed_tasks)
    )
    _say(f"    {result.day}  {result.dag_id:<14} {mark} {detail}")


def _report(results: list[DagRunResult], connection_string: str) -> dict[str, Any]:
    per_dag: dict[str, Counter] = {}
    for result in results:
        counter = per_dag.setdefault(result.dag_id, Counter())
        counter["runs"] += 1
        counter["failed_runs"] += not result.ok
        for event in result.asset_events:
            for key in ("files", "rows", "quarantined", "rejected_rows", "flagged"):
                counter[key] += int(event["extra"].get(key, 0))
    return {
        "dags": {dag_id: dict(counter) for dag_id, counter in per_dag.items()},
        "blobs_per_container": _storage_counts(connection_string),
        "quarantined": _quarantine_reasons(connection_string),
        "failed_runs": [{"dag_id": r.dag_id, "date": r.day, "tasks": r.failed_tasks} for r in results if not r.ok],
    }


def _print_report(report: dict[str, Any], out: Path, report_path: Path) -> None:
    for dag_id, counts in report["dags"].items():
        _say(
            f"    {dag_id:<14} {counts.get('runs', 0)} runs ({counts.get('failed_runs', 0)} failed): "
            f"{counts.get('files', 0):,} files, {counts.get('rows', 0):,} rows landed; "
            f"{counts.get('quarantined', 0)} files quarantined, {counts.get('rejected_rows', 0)} rows rejected, "
            f"{counts.get('flagged', 0)} files flagged"
        )
    _say(f"    blobs: {report['blobs_per_container']}")
    reasons = Counter(q["code"] for q in report["quarantined"])
    if reasons:
        _say("    quarantined files by reason: " + ", ".join(f"{code} {n}" for code, n in reasons.most_common()))
        example = report["quarantined"][0]
        _say(f"    e.g. {example['file']}: {example['reason']}")
    airflow_home = get_settings().airflow_home
    _say("\nWhere to look")
    _say(f"    simulated source files   {out / 'drop'}")
    _say(f"    the truth behind them    {out / 'truth'} (faults.jsonl lists every injected fault)")
    _say(f"    landing report           {report_path} (every quarantined file with its reason)")
    _say(
        f"    Airflow runs and logs    {airflow_home} — e.g. `.venv/bin/retail-factory airflow dags list-runs "
        "land_retail`"
    )
    _say(f"    task output of this run  {airflow_home / 'logs' / 'retail-factory-run.log'}")
    _say(
        "    Azurite ran in a temporary folder and has been stopped; `retail-factory run` lands the same files "
        "into any storage account the `wasb_default` connection points at (docs/runbook.md)."
    )
