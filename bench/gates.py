"""What the quality gates cost against the transformation of the same day (printed, never asserted).

For a simulated chain, ``--history`` days are landed, loaded and built (dbt); then the next day D
goes through the transform DAG's steps in order, each timed: load D, the raw gate, ``dbt build``
for D, the curated gate. The ratio printed is (raw gate + curated gate) / (load + dbt build), the
gates' share of a day's transformation; the issue aims for a quarter or less at 200 stores × 2,000
products. Each gate is timed twice: in this process (GX imported beforehand, DuckDB's cache warm
from the load), and in a process of its own (``retail-factory quality check <gate> --upload``:
starting Python, importing Airflow and GX, a cold DuckDB cache, the gate, its report), less what
an Airflow task process has already done before it runs the gate (starting Python, importing
Airflow and the factory, timed on its own): that is what the gate costs as a task.

    .venv/bin/python bench/gates.py --stores 200 --products 2000 --history 30
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="retail-factory-bench-gates-"))
os.environ["AIRFLOW_HOME"] = str(WORK / "airflow")
os.environ["RETAIL_FACTORY_DUCKDB_PATH"] = str(WORK / "warehouse.duckdb")
os.environ["RETAIL_FACTORY_DBT_TARGET_DIR"] = str(WORK / "dbt-target")
os.environ["RETAIL_FACTORY_WAREHOUSE"] = "duckdb"

from retail_factory.config import DOMAINS, apply_airflow_environment  # noqa: E402

apply_airflow_environment()
START = dt.date(2025, 3, 3)


def timed(function, *args, **kwargs) -> tuple[float, object]:
    began = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - began, result


def dbt_build(day: dt.date) -> None:
    from retail_factory.warehouse.dbt import run_dbt

    run_dbt(["build", "--exclude-resource-type", "unit_test"], run_date=day)


def land(service, drop: Path, day: dt.date) -> None:
    from retail_factory.landing.lander import Lander
    from retail_factory.sources.contracts import ALL_CONTRACTS

    lander = Lander(service, run_id="bench")
    for contract in ALL_CONTRACTS:
        lander.land_entity(contract, drop, day)


def load(service, day: dt.date) -> None:
    from retail_factory.warehouse.connections import get_warehouse
    from retail_factory.warehouse.loader import RawLoader

    RawLoader(service, get_warehouse()).load_day(day, DOMAINS)


def gate(name: str, day: dt.date, service) -> tuple[float, float]:
    """Seconds of the gate in this process, then in a process of its own (as a task runs it)."""
    from retail_factory.quality.gate import run_gate

    seconds, report = timed(run_gate, name, day, service)
    expectations = sum(v["expectations"] for v in report.validated.values())
    verdict = "passed" if report.passed else f"FAILED: {[f.expectation for f in report.failures]}"
    print(f"  {name}: {seconds:.1f} s, {len(report.validated)} tables, {expectations} expectations, {verdict}")
    command = [str(Path(sys.executable).with_name("retail-factory")), "quality", "check", name]
    process_s, done = timed(subprocess.run, [*command, "--date", day.isoformat(), "--upload"], capture_output=True)
    print(f"  {name} in a process of its own: {process_s:.1f} s (exit {done.returncode})")
    return seconds, process_s


def _task_process_start() -> float:
    """Seconds a fresh process takes to start Python and import what a gate task has before its gate."""
    imports = "import airflow.sdk, retail_factory.cli, retail_factory.storage, retail_factory.quality.gate"
    seconds, _ = timed(subprocess.run, [sys.executable, "-c", imports], check=True)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--history", type=int, default=30)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    from retail_factory.devstack import Azurite
    from retail_factory.sources.simulator import SimulationParams, simulate
    from retail_factory.storage import blob_service, ensure_containers

    days = [START + dt.timedelta(days=i) for i in range(args.history + 1)]
    print(f"chain {args.stores} stores × {args.products} products; {args.history} days of history")
    seconds, _ = timed(
        simulate, SimulationParams(args.stores, args.products, len(days), START, args.seed, WORK / "sim")
    )
    print(f"simulated {len(days)} days in {seconds:.0f} s")
    azurite = Azurite(WORK / "azurite").start()
    os.environ["AIRFLOW_CONN_WASB_DEFAULT"] = azurite.airflow_connection()
    try:
        service = blob_service()
        ensure_containers(service)
        drop = WORK / "sim" / "drop"
        began = time.perf_counter()
        for day in days:
            land(service, drop, day)
        for day in days[:-1]:
            load(service, day)
        dbt_build(days[-2])
        print(f"history landed, loaded and built in {time.perf_counter() - began:.0f} s")

        day = days[-1]
        from retail_factory.quality.context import open_context

        open_context(WORK / "gx-warm-up")  # imports GX here, before anything is timed
        task_start_s = _task_process_start()
        print(f"\nday {day}\n  a task process before its gate (Python, Airflow, the factory): {task_start_s:.1f} s")
        load_s, _ = timed(load, service, day)
        print(f"  load {load_s:.1f} s")
        raw_s, raw_process_s = gate("raw_gate", day, service)
        build_s, _ = timed(dbt_build, day)
        print(f"  dbt build {build_s:.1f} s")
        curated_s, curated_process_s = gate("curated_gate", day, service)
        transform_s = load_s + build_s
        gates_s, process_s = raw_s + curated_s, raw_process_s + curated_process_s
        print(f"  transform (load + dbt build) {transform_s:.1f} s")
        print(f"  gates in this process {gates_s:.1f} s: {gates_s / transform_s:.2f} of the transform")
        print(f"  gates in processes of their own {process_s:.1f} s: {process_s / transform_s:.2f} of the transform")
        as_tasks_s = process_s - 2 * task_start_s
        print(f"  gates as tasks (less 2 × the task start) {as_tasks_s:.1f} s: {as_tasks_s / transform_s:.2f}")
    finally:
        azurite.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
