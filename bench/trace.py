"""How fast a trace is on a large genealogy, against a plain recursive query (printed, never asserted).

The genealogy comes from the simulator: a chain of ``--stores`` × ``--products`` over ``--days``
is simulated, and its truth (every lot movement farm → plant → warehouse → store, and every
transformation's inputs and outputs) is written as ``marts.fct_lot_links`` rows, the edges
``trace_lots`` reads (one row per tracking event: a shipment, a receipt, a transformation edge).
Landing, loading and dbt are left out: they are measured by bench/transform.py; this measures
the genealogy and the traces.

Then, in the same run: the build of ``trace.*`` (time, size), and for ``--lots`` random lots the
latency of forward and backward traces, answered twice: by ``trace_lot`` (the materialised
closure, one indexed lookup per step) and by a plain recursive query over ``fct_lot_links``
(walking the transformation edges at query time, then reading the lots' movements), both on one
open connection, as a service keeps it; opening the DuckDB file (what each command pays once) is
timed on its own. The issue aims at a p95 under 100 ms for a genealogy of at least 10 million
events.

    .venv/bin/python bench/trace.py --stores 400 --products 2000 --days 40 --lots 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="retail-factory-bench-trace-"))
os.environ["RETAIL_FACTORY_DUCKDB_PATH"] = str(WORK / "warehouse.duckdb")
os.environ["RETAIL_FACTORY_WAREHOUSE"] = "duckdb"
START = dt.date(2025, 3, 3)

# Truth steps as the genealogy's links: (link_type, source); a store's arrival is both the
# warehouse's shipment and the store's receipt.
STEPS = {
    "to_plant": [("shipped", "epcis")],
    "ship_to_warehouse": [("shipped", "epcis")],
    "to_warehouse": [("shipped", "producer_deliveries")],
    "to_store": [("shipped", "shipments"), ("received", "receipts")],
}

PLAIN_FORWARD = """
with recursive walk (gtin14, lot, depth) as (
    select ?, ?, 0
    union
    select links.to_gtin14, links.to_lot, walk.depth + 1
    from walk
    inner join marts.fct_lot_links as links
        on links.from_gtin14 = walk.gtin14 and links.from_lot = walk.lot and links.link_type = 'transformed_into'
    where walk.depth < 32
)
select links.*
from marts.fct_lot_links as links
inner join (select distinct gtin14, lot from walk) as lots
    on links.from_gtin14 = lots.gtin14 and links.from_lot = lots.lot
where links.link_type in ('shipped', 'received')
"""
PLAIN_BACKWARD = PLAIN_FORWARD.replace("links.to_gtin14, links.to_lot", "links.from_gtin14, links.from_lot").replace(
    "links.from_gtin14 = walk.gtin14 and links.from_lot = walk.lot",
    "links.to_gtin14 = walk.gtin14 and links.to_lot = walk.lot",
)


def timed(function, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def write_links(truth: Path) -> int:
    """The simulator's truth as ``marts.fct_lot_links`` (and the few marts the trace tables read)."""
    import duckdb
    from retail_factory.traceability.identifiers import parse_identifier

    con = duckdb.connect(os.environ["RETAIL_FACTORY_DUCKDB_PATH"])
    con.execute("create schema marts")
    flows = f"read_parquet('{truth}/lot_flows/*.parquet')"
    selects = [
        f"select '{kind}' as link_type, '{source}' as source, step, date, from_gln, to_gln, gtin, lot, sscc,"
        f" quantity, uom from {flows} where step = '{step}' and to_gln is not null"
        for step, pairs in STEPS.items()
        for kind, source in pairs
    ]
    con.execute(f"create temp table moves as {' union all '.join(selects)}")
    made = con.execute(
        "select *, cast(regexp_extract(filename, 'date=([0-9-]+)', 1) as date) as date"
        f" from read_parquet('{truth}/transformations/*.parquet', filename = true)"
    ).df()
    classes = {c: parse_identifier(c) for c in made["epc_class"].unique()}
    made["gtin14"] = made["epc_class"].map(lambda c: classes[c].gtin14)
    made["lot"] = made["epc_class"].map(lambda c: classes[c].lot)
    con.register("made", made)
    # The truth names a transformation's plant by its kind ("dairy"): its GLN is where its inputs
    # were shipped to (or its outputs shipped from).
    con.execute(
        """
        create temp table plants as
        select made.event_id, max(coalesce(into_plant.to_gln, out_of_plant.from_gln)) as gln
        from made
        left join moves as into_plant
            on made.direction = 'input' and into_plant.step = 'to_plant'
            and lpad(into_plant.gtin, 14, '0') = made.gtin14 and into_plant.lot = made.lot
        left join moves as out_of_plant
            on made.direction = 'output' and out_of_plant.step = 'ship_to_warehouse'
            and lpad(out_of_plant.gtin, 14, '0') = made.gtin14 and out_of_plant.lot = made.lot
        group by made.event_id
        """
    )
    con.execute(
        """
        create table marts.fct_lot_links as
        select
            md5('move|' || cast(row_number() over () as varchar)) as link_id, link_type, source,
            cast(null as varchar) as reference_id, cast(null as varchar) as event_key,
            cast(null as varchar) as transformation_id,
            lpad(gtin, 14, '0') as from_gtin14, lot as from_lot, sscc as from_sscc, from_gln as from_location_id,
            lpad(gtin, 14, '0') as to_gtin14, lot as to_lot, sscc as to_sscc, to_gln as to_location_id,
            cast(quantity as decimal(18, 4)) as allocated_quantity, uom, cast(date as date) as link_date,
            cast(null as timestamp) as event_at
        from moves
        union all
        select  -- each input shared among the outputs in proportion to their mass, as dbt does
            md5('made|' || i.event_id || i.epc_class || o.epc_class), 'transformed_into', 'epcis', null, i.event_id,
            i.event_id, i.gtin14, i.lot, null, plants.gln, o.gtin14, o.lot, null, plants.gln,
            cast(i.quantity * o.kg / sum(o.kg) over (partition by i.event_id, i.epc_class) as decimal(18, 4)),
            i.uom, i.date, null
        from made as i
        inner join made as o on o.event_id = i.event_id and o.direction = 'output'
        left join plants on plants.event_id = i.event_id
        where i.direction = 'input'
        """
    )
    con.execute(
        "create table marts.fct_receipts as select to_gln as store_id, gtin, lot, cast(date as date) as received_date,"
        " cast(null as date) as best_before_date, cast(quantity as integer) as received_qty,"
        " cast(quantity as integer) as shipped_qty, 0 as quantity_gap, 'RC' as receipt_id, 'SH' as shipment_id"
        f" from {flows} where step = 'to_store'"
    )
    con.execute(
        "create table marts.fct_inventory_daily"
        " (store_id varchar, gtin varchar, on_hand_qty integer, snapshot_date date)"
    )
    con.execute(
        "create table marts.fct_lot_events (event_key varchar, role varchar, quantity decimal(18, 4), uom varchar,"
        " gtin varchar, event_type varchar, is_cancelled boolean)"
    )
    con.execute("create table marts.dim_products (gtin varchar, category varchar, net_content decimal(10, 2))")
    con.execute(
        "create table marts.dim_locations as select distinct gln as location_id, gln as location_name,"
        " kind as location_type from (select from_gln as gln, 'source' as kind from moves"
        " union select to_gln, case when step = 'to_store' then 'store' else 'place' end from moves)"
    )
    links = con.execute("select count(*) from marts.fct_lot_links").fetchall()[0][0]
    con.close()
    return int(links)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--lots", type=int, default=100, help="random lots traced each way")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    from retail_factory.sources.simulator import SimulationParams, simulate
    from retail_factory.traceability.genealogy import build_genealogy
    from retail_factory.traceability.trace import trace_lot
    from retail_factory.warehouse.connections import get_warehouse

    try:
        print(f"chain {args.stores} stores × {args.products} products × {args.days} days")
        seconds, _ = timed(
            simulate, SimulationParams(args.stores, args.products, args.days, START, args.seed, WORK / "sim")
        )
        print(f"simulated in {seconds:.0f} s")
        seconds, links = timed(write_links, WORK / "sim" / "truth")
        print(f"genealogy: {links:,} events (fct_lot_links rows) written in {seconds:.0f} s")

        warehouse = get_warehouse()
        size_before = Path(os.environ["RETAIL_FACTORY_DUCKDB_PATH"]).stat().st_size
        build_s, size = timed(build_genealogy, warehouse)
        grown = Path(os.environ["RETAIL_FACTORY_DUCKDB_PATH"]).stat().st_size - size_before
        print(
            f"trace tables built in {build_s:.1f} s: {size.lots:,} lots, {size.edges:,} transformation edges, "
            f"{size.lineage_pairs:,} lineage pairs, {size.movements:,} movements; file +{grown / 1e6:.0f} MB; "
            f"peak memory of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )

        _, rows = warehouse.query("select input_key from trace.lot_edges union select output_key from trace.lot_edges")
        made_or_used = [r[0] for r in rows]
        _, rows = warehouse.query("select distinct lot_key from trace.lot_movements")
        pool = sorted(set(made_or_used) | {r[0] for r in rows})
        lots = random.Random(args.seed).sample(pool, min(args.lots, len(pool)))
        print(f"\n{len(lots)} random lots (of {len(pool):,}), each traced forward and backward")
        connects = [timed(warehouse.query, "select 1")[0] * 1000 for _ in range(10)]
        print(f"  opening the warehouse (a command's connection): median {statistics.median(connects):.1f} ms")
        with warehouse.session() as query:  # one open connection, as a service keeps
            for direction, plain in (("forward", PLAIN_FORWARD), ("backward", PLAIN_BACKWARD)):
                closure, recursive, found = [], [], 0
                for key in lots:
                    seconds, trace = timed(trace_lot, key, direction, session=query)
                    closure.append(seconds * 1000)
                    found += len(trace.movements)
                    seconds, _ = timed(query, plain, [key[4:18], key[22:]])
                    recursive.append(seconds * 1000)
                p50, p95 = statistics.median(closure), percentile(closure, 0.95)
                q50, q95 = statistics.median(recursive), percentile(recursive, 0.95)
                print(
                    f"  {direction:<8} materialised p50 {p50:.1f} ms, p95 {p95:.1f} ms | plain recursive query "
                    f"p50 {q50:.1f} ms, p95 {q95:.1f} ms | p95 ratio {q95 / p95:.1f}× "
                    f"({found / len(lots):.0f} movements per trace)"
                )
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
