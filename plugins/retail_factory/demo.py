"""``make demo``: simulate a chain, start the stack, run its last days through the scheduler, report."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retail_factory.config import get_settings
from retail_factory.landing.lander import ERROR_SUFFIX
from retail_factory.runner import DagRunResult
from retail_factory.scheduled import backfill_dates, run_dates
from retail_factory.sources.simulator import SimulationParams, simulate
from retail_factory.stack import AirflowApi, Stack


@dataclass(frozen=True)
class DemoParams:
    stores: int = 20
    products: int = 300
    days: int = 120
    start: dt.date = dt.date(2025, 2, 3)
    seed: int = 42
    faults: float = 0.02
    transform_days: int = 2  # the last days go through the scheduler, the whole chain; earlier ones in bulk
    backfill: bool = False  # those days as an Airflow backfill of the landing DAGs, not triggered date by date


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

    _say(f"\n1/5 Simulating the chain into {out} …")
    summary = simulate(
        SimulationParams(params.stores, params.products, params.days, params.start, params.seed, out, params.faults)
    )
    _say(
        f"    {summary.files} files, {summary.rows:,} rows, {summary.faults} injected faults, "
        f"in {summary.seconds:.0f} s"
    )

    os.environ["RETAIL_FACTORY_DROP_DIR"] = str((out / "drop").resolve())
    stack = Stack()
    _say(f"\n2/5 Starting the stack: Azurite on 127.0.0.1:{stack.azurite_port}, Airflow standalone (API server and")
    _say(f"    UI, scheduler, DAG processor, triggerer) on {stack.url}; state in {stack.state_dir} …")
    from retail_factory.runner import output_to

    begun = dt.datetime.now(dt.UTC)
    with output_to(settings.airflow_home / "logs" / "retail-factory-run.log"):  # Airflow's start-up chatter
        stack.up()
    api = AirflowApi(stack.url, stack.password_file)
    _fresh_start(stack, api, begun)

    first_scheduled = max(params.start, last - dt.timedelta(days=params.transform_days - 1))
    _history(params.start, first_scheduled, out / "drop")
    days = [first_scheduled + dt.timedelta(days=n) for n in range((last - first_scheduled).days + 1)]
    how = "backfilled (an Airflow backfill, one run per date)" if params.backfill else "triggered date by date"
    _say(
        f"\n4/5 {first_scheduled} → {last} through Airflow's scheduler: land_retail, land_supply and land_producer "
        f"{how} through the REST API; their raw Assets schedule transform (dbt with Cosmos, quality gates, "
        "exports), whose curated Assets schedule trace_lots and forecast_stockouts …"
    )
    if params.backfill:
        results = backfill_dates(api, first_scheduled, last, on_result=print_result)
    else:
        results = run_dates(api, days, on_result=print_result)
    _say("\n5/5 What landed, and what the warehouse holds")
    connection_string = stack.azurite.connection_string
    report = _report(results, connection_string)
    report["warehouse"] = _warehouse_report()
    report["reports_copy"] = str(_copy_reports(connection_string, settings.demo_dir / "reports"))
    report["airflow"] = {"url": stack.url, "runs": [_run_link(stack.url, r) for r in results if r.run_id]}
    report_path = settings.demo_dir / "landing-report.json"
    report_path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    _print_report(report, out, report_path)
    _print_stack(stack, results)
    return 0 if all(r.ok for r in results) else 1


def _fresh_start(stack: Stack, api: AirflowApi, begun: dt.datetime) -> None:
    """Each demo starts from an empty warehouse and empty containers (a running stack is reused).

    Runs a stopped stack left unfinished (started before this demo) would go on writing the old
    warehouse: they are failed first, and their tasks waited for.
    """
    from azure.storage.blob import BlobServiceClient

    from retail_factory.stack import FACTORY_DAG_IDS
    from retail_factory.storage import empty_containers

    for run in api.fail_unfinished_runs(FACTORY_DAG_IDS, before=begun):
        _say(f"    an unfinished run of an earlier start marked failed: {run}")
    settings = get_settings()
    if settings.warehouse == "duckdb":
        for path in (settings.duckdb_path, settings.duckdb_path.with_name(settings.duckdb_path.name + ".wal")):
            path.unlink(missing_ok=True)
    empty_containers(BlobServiceClient.from_connection_string(stack.azurite.connection_string))


def _history(first: dt.date, first_scheduled: dt.date, drop: Path) -> None:
    """Land and load the days before the scheduled ones in bulk: the same library code the landing
    DAGs and ``load_raw`` run, without three DAG runs per day (an hour for the default demo here)."""
    from retail_factory.config import DOMAINS
    from retail_factory.landing.lander import Lander
    from retail_factory.runner import output_to
    from retail_factory.sources.contracts import contracts_of
    from retail_factory.storage import blob_service
    from retail_factory.warehouse.connections import get_warehouse
    from retail_factory.warehouse.loader import RawLoader

    if first_scheduled <= first:
        return
    settings = get_settings()
    where = settings.duckdb_path if settings.warehouse == "duckdb" else "PostgreSQL"
    _say(
        f"\n3/5 History {first} → {first_scheduled - dt.timedelta(days=1)} in bulk: each day's files checked against "
        f"their contracts and landed (raw/ or quarantine/), then loaded into the warehouse ({where}) …"
    )
    service = blob_service()
    lander, loader = Lander(service, run_id="demo-history"), RawLoader(service, get_warehouse())
    landed = quarantined = 0
    day = first
    with output_to(settings.airflow_home / "logs" / "retail-factory-run.log"):  # the libraries' logs, not the screen
        while day < first_scheduled:
            for domain in DOMAINS:
                for contract in contracts_of(domain):
                    counts = lander.land_entity(contract, drop, day).counts()
                    landed += counts["landed"] + counts["already_landed"]
                    quarantined += counts["quarantined"]
                lander.land_unknown_entities(domain, drop, day)
            loader.load_day(day, DOMAINS)
            day += dt.timedelta(days=1)
    _say(f"    {landed:,} files landed, {quarantined} quarantined, every day loaded into raw.*")


def _run_link(url: str, result: DagRunResult) -> dict[str, Any]:
    from urllib.parse import quote

    return {"dag_id": result.dag_id, "date": result.day, "state": result.state,
            "url": f"{url}/dags/{result.dag_id}/runs/{quote(result.run_id, safe='')}"}  # fmt: skip


def _print_stack(stack: Stack, results: list[DagRunResult]) -> None:
    failed = [r for r in results if not r.ok]
    _say("\nWatch it in the Airflow UI (the stack keeps running; `make down` stops it)")
    _say(f"    Airflow                  {stack.url}  (user admin; password in {stack.password_file})")
    _say(f"    stockout board           {stack.url}/plugin/retail-factory-stockouts")
    _say(f"    trace a lot              {stack.url}/plugin/retail-factory-trace")
    _say(f"    data quality             {stack.url}/plugin/retail-factory-quality")
    _say(f"    this demo's runs         {stack.url}/dags  ({len(results)} DAG runs, {len(failed)} not successful)")
    for result in failed:
        where = _run_link(stack.url, result)["url"] if result.run_id else result.dag_id
        _say(f"    NOT OK                   {where} {result.day} {result.state}: {', '.join(result.failed_tasks)}")
    _say(f"    Airflow's own log        {stack.log_file}")


def _copy_reports(connection_string: str, target: Path) -> Path:
    """The reports container (quality gates, forecasts, dbt docs) into a local folder: Azurite is
    stopped when the demo ends, and the pages are worth opening afterwards."""
    import shutil

    from azure.storage.blob import BlobServiceClient

    shutil.rmtree(target, ignore_errors=True)
    container = BlobServiceClient.from_connection_string(connection_string).get_container_client(
        get_settings().reports_container
    )
    for blob in container.list_blobs():
        path = target / blob.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(container.download_blob(blob.name).readall())
    return target


def _warehouse_report() -> dict[str, Any]:
    from retail_factory.warehouse.connections import get_warehouse
    from retail_factory.warehouse.export import PUBLIC_MARTS

    warehouse = get_warehouse()
    counts = {}
    for mart in PUBLIC_MARTS:
        try:
            counts[mart.name] = warehouse.query(f"select count(*) from marts.{mart.name}")[1][0][0]
        except Exception:
            counts[mart.name] = None
    try:  # a farm lot whose descendants reached stores: the example trace the summary shows
        rows = warehouse.query(
            "select e.input_key from trace.lot_edges as e inner join trace.lot_movements as m"
            " on m.lot_key = e.output_key and m.movement = 'received' order by e.transformed_date, 1 limit 1"
        )[1]
    except Exception:
        rows = []
    try:  # the Nutri-Score of the catalog, for the summary
        grades = dict(warehouse.query("select nutriscore_grade, count(*) from marts.dim_products group by 1")[1])
    except Exception:
        grades = {}
    return {"marts": counts, "example_lot": rows[0][0] if rows else None, "grades": grades}


def print_result(result: DagRunResult) -> None:
    """One line saying what a finished DAG run of the chain did."""
    extra = result.asset_events[0]["extra"] if result.asset_events else {}
    mark = "ok " if result.ok else "FAILED"
    if result.dag_id == "transform" and extra:
        marts = sum(len(event["extra"].get("marts", {})) for event in result.asset_events)
        assets = ", ".join(sorted(event["asset"] for event in result.asset_events))
        _say(
            f"    {result.day}  {result.dag_id:<14} {mark} raw gate passed, dbt built, curated gate passed; "
            f"{marts} marts to curated/; emitted {assets}"
        )
        return
    if result.dag_id == "forecast_stockouts":
        summary = _forecast_summary(result.day)
        _say(
            f"    {result.day}  {result.dag_id:<14} {mark} {summary.get('series', 0)} series forecast, "
            f"{summary.get('series_at_risk', 0)} at risk before their next delivery, "
            f"{summary.get('order_lines', 0)} order lines ({summary.get('units_ordered', 0)} units); "
            f"models {summary.get('models_chosen', '{}')}"
        )
        return
    if result.dag_id == "trace_lots":
        _say(
            f"    {result.day}  {result.dag_id:<14} {mark} genealogy rebuilt (trace.*), trace gate reported its"
            " consistency issues (reports/quality/<date>/trace_gate/)"
        )
        return
    detail = (
        (
            f"{extra.get('files', 0):>4} files {extra.get('rows', 0):>7,} rows "
            f"{extra.get('quarantined', 0):>2} quarantined"
        )
        if extra
        else ", ".join(result.failed_tasks)
    )
    _say(f"    {result.day}  {result.dag_id:<14} {mark} {detail}")


def _forecast_summary(day: dt.date) -> dict[str, Any]:
    """The ``ml.forecast_runs`` row of ``day`` (empty when the run wrote none)."""
    from retail_factory.warehouse.connections import get_warehouse

    try:
        columns, rows = get_warehouse().query("select * from ml.forecast_runs where as_of_date = ?", [day])
    except Exception:
        return {}
    return dict(zip(columns, rows[0], strict=True)) if rows else {}


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
        if dag_id == "transform":
            _say(
                f"    {dag_id:<14} {counts.get('runs', 0)} runs ({counts.get('failed_runs', 0)} failed): "
                "raw blobs loaded, raw gate, dbt built (Cosmos), curated gate, marts exported to curated/"
            )
            continue
        if dag_id == "forecast_stockouts":
            _say(
                f"    {dag_id:<14} {counts.get('runs', 0)} runs ({counts.get('failed_runs', 0)} failed): "
                "stockouts detected, demand unconstrained and forecast, risks and order proposals in ml.*, "
                "exported to curated/, report in reports/forecasts/<date>/"
            )
            continue
        if dag_id == "trace_lots":
            _say(
                f"    {dag_id:<14} {counts.get('runs', 0)} runs ({counts.get('failed_runs', 0)} failed): "
                "lot genealogy rebuilt in trace.* (lineage, movements, store exposure, consistency issues), trace gate"
            )
            continue
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
    marts = report.get("warehouse", {}).get("marts", {})
    if marts:
        _say(
            "    marts (rows): "
            + ", ".join(f"{name} {rows if rows is not None else 'MISSING'}" for name, rows in marts.items())
        )
    settings = get_settings()
    airflow_home = settings.airflow_home
    _say("\nWhere to look")
    _say(f"    simulated source files   {out / 'drop'}")
    _say(f"    the truth behind them    {out / 'truth'} (faults.jsonl lists every injected fault)")
    _say(f"    landing report           {report_path} (every quarantined file with its reason)")
    _say(
        f"    Airflow runs and logs    {airflow_home} — e.g. `.venv/bin/retail-factory airflow dags list-runs "
        "land_retail`"
    )
    _say(f"    bulk history log         {airflow_home / 'logs' / 'retail-factory-run.log'}")
    query = "select * from marts.fct_shelf_availability_daily order by snapshot_date desc limit 10"
    _say(f"    the warehouse            {settings.duckdb_path}")
    _say(
        f'                             e.g. .venv/bin/retail-factory sql "{query}"  (README: Query the curated tables)'
    )
    grades = report.get("warehouse", {}).get("grades") or {}
    if grades:
        spread = ", ".join(f"{grade.upper() if len(grade) == 1 else grade} {grades[grade]}" for grade in sorted(grades))
        _say(f"    nutrition                Nutri-Score of the catalog: {spread}")
        query = "select * from marts.fct_nutrition_rejections"
        _say(f'                             rejected facts: .venv/bin/retail-factory sql "{query}" (docs/nutrition.md)')
    lot = report.get("warehouse", {}).get("example_lot")
    if lot:
        _say(f"    trace a lot              .venv/bin/retail-factory trace --lot '{lot}'  (--backward, --format csv)")
    copy = Path(report.get("reports_copy") or settings.demo_dir / "reports")
    forecasts = sorted(copy.glob("forecasts/*/index.html"))
    if forecasts:
        _say(f"    stockout forecast        {forecasts[-1]}  (a page per region, plots of the top risks)")
        _say(
            '                             tables: .venv/bin/retail-factory sql "select * from ml.stockout_risks'
            ' order by p_stockout desc limit 10"'
        )
    _say(f"    reports (copied)         {copy} (quality gates, forecasts, dbt docs, as they were in Blob)")
    _say("    quality gates            reports/quality/<date>/<gate>/data_docs/index.html in Blob (GX Data Docs);")
    _say("                             the rules: expectations/README.md; by hand: retail-factory quality check")
    _say(f"    dbt docs                 {settings.dbt_docs_dir / 'index.html'}")
    _say("                             (also reports/dbt-docs/index.html in Blob, and Airflow UI → dbt docs)")
    _say(
        "    Blob Storage             Azurite keeps running with the stack (curated/ Parquet exports, reports/);"
        " the same DAGs land into any storage account the `wasb_default` connection points at (docs/runbook.md)."
    )
