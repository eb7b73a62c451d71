"""``retail-factory``: simulate a chain, run the factory and the demo, query the warehouse, trace lots."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a rate is between 0 and 1")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _drop_folder(path: Path) -> Path:
    """Accept the drop folder itself or a simulation's output folder that holds ``drop/``."""
    if (path / "drop").is_dir() and not any((path / d).is_dir() for d in ("retail", "supply", "producer")):
        return path / "drop"
    return path


def cmd_simulate(args: argparse.Namespace) -> int:
    from retail_factory.sources.simulator import SimulationParams, simulate

    summary = simulate(
        SimulationParams(
            args.stores, args.products, args.days, args.start, args.seed, args.out, args.faults, args.gate_faults
        ),
        progress=(lambda day, n: print(f"{day} {n} files", flush=True)) if args.verbose else None,
    )
    print(
        f"Simulated {summary.days} days into {summary.out}: {summary.files} files, {summary.rows:,} rows, "
        f"{summary.faults} injected faults, {summary.seconds:.1f} s."
    )
    print(f"Sources: {summary.out / 'drop'}   Truth: {summary.out / 'truth'}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from retail_factory.runner import FACTORY_DAGS, run_factory

    drop = _drop_folder(args.drop)
    if not drop.is_dir():
        print(f"error: the drop folder {drop} does not exist", file=sys.stderr)
        return 2
    dag_ids = tuple(args.dags.split(",")) if args.dags else FACTORY_DAGS

    def show(result) -> None:
        extra = result.asset_events[0]["extra"] if result.asset_events else {}
        counts = (
            f"{extra.get('files', 0)} files, {extra.get('rows', 0):,} rows, "
            f"{extra.get('quarantined', 0)} quarantined, {extra.get('rejected_rows', 0)} rows rejected"
            if extra
            else ""
        )
        failed = f" failed tasks: {', '.join(result.failed_tasks)}" if result.failed_tasks else ""
        print(f"{result.day}  {result.dag_id:<14} {result.state:<8} {counts}{failed}", flush=True)

    results = run_factory(drop, args.date_from, args.date_to, dag_ids, on_result=show)
    failed = [r for r in results if not r.ok]
    print(f"{len(results)} DAG runs, {len(failed)} failed.")
    return 1 if failed else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from retail_factory.demo import DemoParams, run_demo

    return run_demo(
        DemoParams(
            args.stores,
            args.products,
            args.days,
            args.start,
            args.seed,
            args.faults,
            args.transform_days,
            args.backfill,
        )
    )


def cmd_up(args: argparse.Namespace) -> int:
    from retail_factory.stack import Stack

    stack = Stack()
    print(f"Starting Azurite and Airflow (state in {stack.state_dir}, Airflow's log in {stack.log_file}) …", flush=True)
    from retail_factory.runner import output_to

    with output_to(stack.state_dir / "up.log"):  # Airflow's start-up chatter; errors are raised after
        stack.up()
    print(f"Airflow is up on {stack.url}; the factory's DAGs are unpaused.")
    print(f"    log in as admin; the password is in {stack.password_file}")
    print(f"    Blob Storage (Azurite): http://127.0.0.1:{stack.azurite_port}/devstoreaccount1")
    print("    pages: Stockout board, Trace, Data quality (the UI's Plugins menu). `make down` stops everything.")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from retail_factory.stack import Stack

    stack = Stack()
    stopped = stack.down()
    print(f"Stopped {', '.join(stopped)}." if stopped else f"Nothing was running (no pid file in {stack.state_dir}).")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Run dates through the running stack's scheduler (triggered, or backfilled) and wait for the chain."""
    from retail_factory.demo import print_result
    from retail_factory.scheduled import backfill_dates, run_dates
    from retail_factory.stack import AirflowApi, Stack

    last = args.date_to or args.date_from
    if last < args.date_from:
        raise ValueError(f"--to {last} is before --from {args.date_from}")
    stack = Stack()
    if not stack.password_file.exists():
        raise RuntimeError(f"no stack is running here ({stack.state_dir}): `make up` starts one")
    api = AirflowApi(stack.url, stack.password_file)
    how = "a backfill of" if args.backfill else "triggering"
    print(
        f"Running {args.date_from} → {last} through the scheduler on {stack.url} ({how} the landing DAGs) …", flush=True
    )
    if args.backfill:
        results = backfill_dates(api, args.date_from, last, timeout=args.timeout, on_result=print_result)
    else:
        days = [args.date_from + dt.timedelta(days=n) for n in range((last - args.date_from).days + 1)]
        results = run_dates(api, days, timeout=args.timeout, on_result=print_result, note="retail-factory replay")
    failed = [f"{r.dag_id} {r.day}" for r in results if not r.ok]
    print(
        f"{len(results) - len(failed)} of {len(results)} DAG runs succeeded"
        + (f"; failed: {', '.join(failed)}" if failed else ".")
    )
    return 1 if failed else 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    """Each warehouse table's row count and content hash; compare with a saved set (exit 1 on a difference)."""
    import json

    from retail_factory.warehouse.fingerprint import SCHEMAS, Fingerprint, differences, fingerprints

    saved = None
    if args.compare:  # read first: a wrong file is said before the warehouse is read
        try:
            saved = {table: Fingerprint(**f) for table, f in json.loads(args.compare.read_text()).items()}
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise ValueError(
                f"{args.compare} is not a saved `retail-factory fingerprint --json` output: {exc}"
            ) from None
    now = fingerprints(schemas=tuple(args.schema or SCHEMAS))
    if saved is not None:
        changed = differences(saved, now)
        for table, change in changed.items():
            print(f"{table}: {change}")
        print(
            f"{len(changed)} of {len(now)} tables differ from {args.compare}."
            if changed
            else f"All {len(now)} tables are as in {args.compare}."
        )
        return 1 if changed else 0
    if args.json:
        print(json.dumps({table: f.as_record() for table, f in now.items()}, indent=1))
    else:
        print(format_table(["table", "rows", "sha256"], [(t, f"{f.rows:,}", f.sha256[:16]) for t, f in now.items()]))
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    """Load landed raw blobs of a date range into the warehouse's raw tables (no dbt)."""
    from retail_factory.config import DOMAINS
    from retail_factory.storage import blob_service
    from retail_factory.warehouse.connections import get_warehouse
    from retail_factory.warehouse.loader import RawLoader

    if args.date_to < args.date_from:
        raise ValueError(f"--to {args.date_to} is before --from {args.date_from}")
    loader = RawLoader(blob_service(), get_warehouse())
    day = args.date_from
    while day <= args.date_to:
        summary = loader.load_day(day, DOMAINS)
        outcomes = Counter(e.outcome for e in summary.entities)
        print(f"{day}  " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())), flush=True)
        day += dt.timedelta(days=1)
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    """Run one SQL statement on the warehouse and print the result as a table."""
    from retail_factory.warehouse.connections import get_warehouse

    try:
        columns, rows = get_warehouse().query(args.statement)
    except Exception as exc:  # the database's own message says what is wrong with the statement
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(format_table(columns, rows[: args.limit]))
    if len(rows) > args.limit:
        print(f"({len(rows):,} rows, {args.limit} shown; --limit to see more)")
    return 0


def format_table(columns: list[str], rows: list[tuple]) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def cmd_contracts(args: argparse.Namespace) -> int:
    from retail_factory.sources.contracts.docs import contracts_markdown

    print(contracts_markdown(), end="")
    return 0


def cmd_quality_check(args: argparse.Namespace) -> int:
    """Run a quality gate for a date on the configured warehouse; exit 1 when it fails."""
    from retail_factory.quality.gate import run_gate

    service = None
    if args.upload:
        from retail_factory.storage import blob_service, ensure_containers

        service = blob_service()
        ensure_containers(service)
    report = run_gate(args.gate, args.date, service)
    print(report.summary())
    return 0 if report.passed else 1


def cmd_quality_write_context(args: argparse.Namespace) -> int:
    """Write the GX file context (expectations/) from the suites declared in code."""
    from retail_factory.config import get_settings
    from retail_factory.quality.context import write_context

    root = args.to or get_settings().expectations_dir
    write_context(root)
    print(f"GX context written to {root}")
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    """Trace a lot (or the lots of a product on a store's shelf on a date) forward or backward."""
    import csv
    import json

    from retail_factory.traceability.trace import LotNotFoundError, lots_on_shelf, trace_lot

    if args.lot:
        lots = [args.lot]
    else:
        if not (args.gtin and args.store and args.date):
            raise ValueError("give --lot, or --gtin with --store and --date")
        lots = lots_on_shelf(args.gtin, args.store, args.date)
        if not lots:
            print(f"store {args.store} had received no lot of {args.gtin} still in date on {args.date}")
            return 1
    try:
        traces = [trace_lot(lot, args.direction) for lot in lots]
    except LotNotFoundError as missing:
        print(f"not found: {missing}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps([t.to_dict() for t in traces], indent=2, default=str))
    elif args.format == "csv":
        columns = ["lot_key", "movement", "movement_date", "quantity", "uom", "from_location_id", "from_name"]
        columns += ["to_location_id", "to_name", "source", "reference_id", "sscc"]
        writer = csv.DictWriter(sys.stdout, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for trace in traces:
            writer.writerows(trace.movements)
    else:
        for trace in traces:
            print(_trace_text(trace))
    return 0


def _trace_text(trace) -> str:
    def table(rows: list[dict], columns: list[str]) -> str:
        return format_table(columns, [tuple(row.get(c) for c in columns) for row in rows]) if rows else "(none)"

    related = "made from it" if trace.direction == "forward" else "it was made from"
    lines = [f"{trace.direction} trace of {trace.lot_key}: {len(trace.lots) - 1} lot(s) {related}"]
    lines += ["", "lots:", table(trace.lots, ["depth", "lot_key", "gtin14", "lot"])]
    columns = ["transformed_date", "input_key", "output_key", "quantity", "uom", "location_id"]
    lines += ["", "transformations:", table(trace.transformations, columns)]
    if trace.direction == "forward":
        columns = ["store_id", "store_name", "status", "units_received", "first_received", "last_received"]
        columns += ["est_units_on_shelf", "stock_as_of"]
        lines += ["", f"stores reached ({len(trace.stores)}):", table(trace.stores, columns)]
    else:
        columns = ["location_type", "location_id", "location_name", "lot_key", "quantity", "uom", "first_shipped"]
        lines += ["", "origins:", table(trace.origins, columns)]
    columns = ["movement_date", "movement", "lot_key", "quantity", "from_name", "to_name", "reference_id"]
    lines += ["", "movements:", table(trace.movements, columns)]
    lines += ["", "warnings:", *(f"  {warning}" for warning in trace.warnings)] if trace.warnings else []
    issues = [
        f"  {i['severity']} {i['issue_type']} {i['lot_key']} at {i['location_id']}: {i['detail']}" for i in trace.issues
    ]
    lines += ["", "consistency issues (trace.consistency_issues):", *issues] if issues else []
    return "\n".join(lines)


def cmd_trace_lots(args: argparse.Namespace) -> int:
    """Rebuild the genealogy tables (trace.*) from the marts, as the trace_lots DAG does."""
    from retail_factory.traceability.genealogy import build_genealogy

    size = build_genealogy()
    print(
        f"trace tables rebuilt: {size.lots:,} lots, {size.edges:,} transformation edges, "
        f"{size.lineage_pairs:,} lineage pairs, {size.movements:,} movements; consistency issues: "
        + (", ".join(f"{kind} {n}" for kind, n in size.issues.items()) or "none")
    )
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    """Run the forecasting job for a date on the warehouse (the forecast task of forecast_stockouts)."""
    from retail_factory.forecasting.job import run_forecast

    summary = run_forecast(args.date, service_level=args.service_level)
    print(
        f"{summary['as_of_date']}: {summary['series']:,} series forecast in {summary['stores']} stores, "
        f"{summary['series_at_risk']:,} at risk before their next delivery, {summary['order_lines']:,} order lines "
        f"({summary['units_ordered']:,} units); models {summary['models_chosen']}; written to ml.*"
    )
    return 0


def cmd_evaluate_forecast(args: argparse.Namespace) -> int:
    """Judge the forecasting job against a simulation's truth, over the warehouse's history."""
    import json

    from retail_factory.config import get_settings
    from retail_factory.forecasting.evaluation import evaluate, report_text

    if not (args.truth / "series").is_dir():
        raise ValueError(f"{args.truth} is not a simulation's truth folder (no series/ in it)")
    level = args.service_level if args.service_level is not None else get_settings().service_level
    if not 0.5 <= level < 1:
        raise ValueError(f"the service level is {level}; it must be a share between 0.5 and 1 (e.g. 0.975)")
    result = evaluate(args.truth, cuts=args.cut or None)
    replayed = None
    if args.replay_days:
        from retail_factory.forecasting.replay import replay_truth

        replayed = replay_truth(args.truth, days=args.replay_days, service_level=level)
    if args.json:
        print(json.dumps(result.to_dict() | {"replay": replayed.to_dict() if replayed else None}, indent=2))
    else:
        print(report_text(result, replayed))
    return 0


def cmd_airflow(args: argparse.Namespace) -> int:
    """Run Airflow's own CLI with the project's local settings (home, DAG folder, SQLite)."""
    import os
    import shutil

    from retail_factory.config import apply_airflow_environment

    apply_airflow_environment()
    executable = shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"
    os.execv(executable, [executable, *args.airflow_args])
    return 0  # not reached


def cmd_nutriscore(args: argparse.Namespace) -> int:
    import json

    from retail_factory.nutrition.nutriscore import nutriscore, thresholds_csv

    if args.thresholds:
        sys.stdout.write(thresholds_csv())
        return 0
    unreadable = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            product = json.loads(line)
            if not isinstance(product, dict):
                raise ValueError(f"a JSON {type(product).__name__}, not an object")
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            unreadable += 1
            problem = f"line {number} is not a JSON object with a product's fields: {exc}"
            print(json.dumps({"line": number, "nutriscore_grade": "unknown", "problems": [problem]}))
            continue
        keys = {key: product[key] for key in ("code", "gtin", "product_name", "name") if key in product}
        print(json.dumps({"line": number, **keys, **nutriscore(product).as_record()}, ensure_ascii=False))
    return 1 if unreadable else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="retail-factory", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    sim = commands.add_parser("simulate", help="write a simulated chain's source files and the truth behind them")
    sim.add_argument("--stores", type=_positive, default=20)
    sim.add_argument("--products", type=_positive, default=300)
    sim.add_argument("--days", type=_positive, default=120)
    sim.add_argument("--start", type=_date, default=dt.date(2025, 2, 3), help="first day, YYYY-MM-DD")
    sim.add_argument("--seed", type=int, default=42)
    sim.add_argument("--out", type=Path, required=True, help="output folder (drop/ and truth/ are written in it)")
    sim.add_argument("--faults", type=_rate, default=0.0, help="share of files delivered with a fault (0-1)")
    sim.add_argument(
        "--gate-faults",
        type=_rate,
        default=0.0,
        help="share of files with a fault that passes the landing and a quality gate must catch (0-1)",
    )
    sim.add_argument("--verbose", action="store_true")
    sim.set_defaults(func=cmd_simulate)

    run = commands.add_parser("run", help="run the factory's DAGs for each date through Airflow (dag.test)")
    run.add_argument("--drop", type=Path, required=True, help="the source drop (or a simulation's --out folder)")
    run.add_argument("--from", dest="date_from", type=_date, required=True)
    run.add_argument("--to", dest="date_to", type=_date, required=True)
    run.add_argument("--dags", help="comma-separated DAG ids (default: the whole factory, in order)")
    run.set_defaults(func=cmd_run)

    up = commands.add_parser("up", help="start Azurite and Airflow (scheduler, UI) on 127.0.0.1 (`make up`)")
    up.set_defaults(func=cmd_up)
    down = commands.add_parser("down", help="stop what `retail-factory up` started (`make down`)")
    down.set_defaults(func=cmd_down)

    demo = commands.add_parser("demo", help="simulate, start the stack, run the chain on the scheduler (`make demo`)")
    demo.add_argument("--stores", type=_positive, default=20)
    demo.add_argument("--products", type=_positive, default=300)
    demo.add_argument("--days", type=_positive, default=120)
    demo.add_argument("--start", type=_date, default=dt.date(2025, 2, 3))
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--faults", type=_rate, default=0.02)
    demo.add_argument(
        "--transform-days",
        type=_positive,
        default=2,
        help="last days run through Airflow's scheduler, the whole chain; earlier days are landed and loaded in"
        " bulk (default 2)",
    )
    demo.add_argument(
        "--backfill", action="store_true", help="run those days as an Airflow backfill of the landing DAGs"
    )
    demo.set_defaults(func=cmd_demo)

    replay = commands.add_parser(
        "replay",
        help="run dates through the running stack's scheduler (`make up`), the whole chain, and wait for it",
        description="Triggers land_retail, land_supply and land_producer for each date (or, with --backfill, "
        "creates an Airflow backfill of them for the range, dates run before included); the scheduler runs the "
        "rest of the chain from their Assets. Exit status 1 when a DAG run failed.",
    )
    replay.add_argument("--from", dest="date_from", type=_date, required=True)
    replay.add_argument("--to", dest="date_to", type=_date, help="last date (default: --from)")
    replay.add_argument("--backfill", action="store_true", help="as an Airflow backfill of the landing DAGs")
    replay.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the chain (default 3600)")
    replay.set_defaults(func=cmd_replay)

    fingerprint = commands.add_parser(
        "fingerprint",
        help="row count and content hash of every warehouse table: compare before and after a replay",
        description="Load-time columns (_loaded_at) are left out; rows are hashed sorted, numbers to four decimals. "
        "Save with --json, compare later with --compare (exit status 1 when a table differs).",
    )
    fingerprint.add_argument("--schema", action="append", help="only this schema (repeat); default: all the factory's")
    fingerprint.add_argument("--json", action="store_true", help="print them as JSON (to save)")
    fingerprint.add_argument("--compare", type=Path, help="a saved --json output: print the tables that differ")
    fingerprint.set_defaults(func=cmd_fingerprint)

    load = commands.add_parser("load", help="load landed raw blobs of a date range into the warehouse (no dbt)")
    load.add_argument("--from", dest="date_from", type=_date, required=True)
    load.add_argument("--to", dest="date_to", type=_date, required=True)
    load.set_defaults(func=cmd_load)

    sql = commands.add_parser(
        "sql", help='query the warehouse, e.g. `retail-factory sql "select * from marts.dim_stores"`'
    )
    sql.add_argument("statement", help="one SQL statement (DuckDB or PostgreSQL dialect, per RETAIL_FACTORY_WAREHOUSE)")
    sql.add_argument("--limit", type=_positive, default=50, help="rows to print (default 50)")
    sql.set_defaults(func=cmd_sql)

    airflow = commands.add_parser(
        "airflow",
        help="Airflow's CLI with the project's settings, e.g. `retail-factory airflow dags list-runs land_retail`",
    )
    airflow.add_argument("airflow_args", nargs=argparse.REMAINDER)
    airflow.set_defaults(func=cmd_airflow)

    quality = commands.add_parser("quality", help="the Great Expectations quality gates").add_subparsers(
        dest="quality_command", required=True
    )
    check = quality.add_parser("check", help="run a gate for a date on the warehouse (exit 1 when it fails)")
    check.add_argument("gate", choices=("raw_gate", "curated_gate", "trace_gate"))
    check.add_argument("--date", type=_date, required=True)
    check.add_argument("--upload", action="store_true", help="also write the report to reports/quality/<date>/")
    check.set_defaults(func=cmd_quality_check)
    write = quality.add_parser(
        "write-context",
        help="write expectations/ (suites, validation definitions, checkpoints) from quality/suites.py; "
        "needs a built warehouse (GX checks each table as it adds it)",
    )
    write.add_argument("--to", type=Path, help="another folder than the configured expectations/")
    write.set_defaults(func=cmd_quality_write_context)

    trace = commands.add_parser(
        "trace", help="where a lot went (--forward, the default) or came from (--backward), from trace.*"
    )
    trace.add_argument("--lot", help="a lot as URN, GS1 Digital Link or element string, e.g. (01)<GTIN-14>(10)<lot>")
    trace.add_argument("--gtin", help="with --store and --date: the lots of this product on that store's shelf")
    trace.add_argument("--store", help="a store's GLN")
    trace.add_argument("--date", type=_date)
    side = trace.add_mutually_exclusive_group()
    side.add_argument("--forward", dest="direction", action="store_const", const="forward", default="forward")
    side.add_argument("--backward", dest="direction", action="store_const", const="backward")
    trace.add_argument("--format", choices=("table", "json", "csv"), default="table")
    trace.set_defaults(func=cmd_trace)
    trace_lots = commands.add_parser("trace-lots", help="rebuild the genealogy tables trace.* from the marts")
    trace_lots.set_defaults(func=cmd_trace_lots)
    forecast = commands.add_parser("forecast", help="run the forecasting job for a date: ml.* tables (no Airflow)")
    forecast.add_argument("--date", type=_date, required=True, help="the run date (stock at its end)")
    forecast.add_argument("--service-level", type=float, default=None, help="default RETAIL_FACTORY_SERVICE_LEVEL")
    forecast.set_defaults(func=cmd_forecast)
    evaluation = commands.add_parser(
        "evaluate-forecast", help="judge the forecasts against a simulation's truth (backtest over the warehouse)"
    )
    evaluation.add_argument("--truth", type=Path, required=True, help="the simulation's truth folder (…/sim/truth)")
    evaluation.add_argument("--cut", type=_date, action="append", help="a cut date (repeat); default: 2 fortnights")
    evaluation.add_argument(
        "--replay-days", type=int, default=0, help="also replay the last N days ordering with the proposals"
    )
    evaluation.add_argument(
        "--service-level", type=float, default=None, help="the replay's target (default RETAIL_FACTORY_SERVICE_LEVEL)"
    )
    evaluation.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluation.set_defaults(func=cmd_evaluate_forecast)

    nutri = commands.add_parser(
        "nutriscore",
        help="Nutri-Score of products: JSON Lines in (Open Food Facts fields, category flags), JSON Lines out",
        description="Reads one product per line on standard input and writes, per line, nutriscore_score, "
        "nutriscore_grade and each component's points (docs/nutrition.md lists the input fields). "
        "Exit status 1 when a line is not a JSON object (it gets an output line saying so).",
    )
    nutri.add_argument(
        "--thresholds", action="store_true", help="print the threshold tables as CSV (the dbt seed) instead"
    )
    nutri.set_defaults(func=cmd_nutriscore)

    contracts = commands.add_parser("contracts", help="print the data contracts as Markdown (docs/contracts.md)")
    contracts.add_argument("--markdown", action="store_true", help="(the only format for now)")
    contracts.set_defaults(func=cmd_contracts)
    return parser


@contextlib.contextmanager
def _warehouse_for(command) -> Iterator[None]:
    """A command that reads or writes the warehouse gets the local Spark Thrift server it needs
    (``RETAIL_FACTORY_WAREHOUSE=spark`` and none running; ``devstack.local_spark_warehouse``)."""
    if command not in (cmd_run, cmd_replay, cmd_fingerprint, cmd_load, cmd_sql, cmd_quality_check, cmd_trace,
                       cmd_trace_lots, cmd_forecast, cmd_evaluate_forecast):  # fmt: skip
        yield
        return
    from retail_factory.devstack import local_spark_warehouse

    with local_spark_warehouse() as spark:
        if spark is not None:
            print(f"Started a Spark Thrift server on 127.0.0.1:{spark.port} for this command (log: {spark.log_file})",
                  file=sys.stderr, flush=True)  # fmt: skip
        yield


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        with _warehouse_for(args.func):
            return int(args.func(args))
    except (FileExistsError, ValueError, KeyError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
