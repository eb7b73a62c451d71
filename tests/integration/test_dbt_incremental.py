"""Dates built one at a time on DuckDB: late and repeated deliveries, and incremental models that
end where one full build ends.

Apart from test_dbt_build.py's shared build (each test here lands its own spoilt copy of the
clean chain), so that pytest-xdist can run this module beside that one.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from retail_factory.config import get_settings
from retail_factory.storage import blob_service, empty_containers
from retail_factory.warehouse.connections import get_warehouse
from retail_factory.warehouse.export import PUBLIC_MARTS

from tests.conftest import SIM_START
from tests.integration.warehouse_helpers import build, environment, fingerprint, land_and_load, run_models

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DAYS = [SIM_START + dt.timedelta(days=i) for i in range(3)]


def test_odd_deliveries_have_the_documented_outcomes(azurite, clean_chain: Path, tmp_path: Path) -> None:
    """A late file, the same rows in two files, and an entity with no file, end to end on DuckDB."""
    import shutil

    drop = tmp_path / "drop"
    shutil.copytree(clean_chain / "drop", drop)
    first, second = DAYS[0], DAYS[1]
    pos_files = sorted((drop / "retail" / "pos" / first.isoformat()).glob("*.csv"))
    late = pos_files[0]
    held_back = late.read_bytes()
    late.unlink()  # store A's till file for day 1 arrives late
    copy_lines = pos_files[1].read_text(encoding="utf-8").splitlines(keepends=True)[1:3]
    with pos_files[2].open("a", encoding="utf-8") as other:
        other.writelines(copy_lines)  # two of store B's lines also sent inside store C's file
    shutil.rmtree(drop / "retail" / "promotions" / second.isoformat())  # no promotions file on day 2

    service = blob_service()
    empty_containers(service)
    with environment({"RETAIL_FACTORY_WAREHOUSE": "duckdb", "RETAIL_FACTORY_DUCKDB_PATH": str(tmp_path / "w.duckdb")}):
        land_and_load(service, drop, [first, second])
        build(second)
        warehouse = get_warehouse()
        _, outcome = warehouse.query("select count(*) from raw.retail__promotions where _ingest_date = ?", [second])
        assert outcome[0][0] == 0
        _, rejected = warehouse.query(
            "select rejection_code, count(*) from marts.fct_rejected_rows where source_table = 'retail__pos' group by 1"
        )
        assert dict(rejected) == {"duplicate_key": 2}  # the second copy of each line, with its reason
        store_a = late.name.split("_")[1]
        count_a = "select count(*) from marts.fct_sales_daily where store_id = ? and sold_date = ?"
        assert warehouse.query(count_a, [store_a, first])[1][0][0] == 0
        day_two_sql = "select * from marts.fct_sales_daily where sold_date = ? order by store_id, gtin"
        day_two = warehouse.query(day_two_sql, [second])[1]
        assert day_two

        late.write_bytes(held_back)  # the late file arrives; its date is landed, loaded and built again
        land_and_load(service, drop, [first])
        build(first)
        assert warehouse.query(count_a, [store_a, first])[1][0][0] > 0
        assert warehouse.query(day_two_sql, [second])[1] == day_two  # the other date did not move


def incremental_tables() -> list[tuple[str, str]]:
    """(schema, name) of every incremental model: staging base, intermediate and marts."""
    manifest = json.loads((get_settings().dbt_target_dir / "manifest.json").read_text(encoding="utf-8"))
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    return sorted((node["schema"], node["name"]) for node in models if node["config"]["materialized"] == "incremental")


def test_day_by_day_builds_equal_one_full_build(azurite, clean_chain: Path, tmp_path: Path) -> None:
    """The incremental models and the marts, built one date at a time, hold what a full build holds,
    also for keys delivered again on a later date (judged against the dates already built)."""
    import shutil

    drop = tmp_path / "drop"
    shutil.copytree(clean_chain / "drop", drop)
    first, second, third = DAYS
    orders = [
        drop / "supply" / "store_orders" / day.isoformat() / f"store_orders_{day.isoformat()}.csv" for day in DAYS
    ]
    resent = orders[0].read_text(encoding="utf-8").splitlines(keepends=True)[1:3]
    with orders[1].open("a", encoding="utf-8") as later:  # two order lines of day 1 sent again on day 2
        later.writelines(line.replace(f"{first.isoformat()}T", f"{second.isoformat()}T") for line in resent)
    documents = [sorted((drop / "producer" / "epcis" / day.isoformat()).glob("*.jsonld")) for day in (first, third)]
    early = json.loads(documents[0][0].read_text(encoding="utf-8"))["epcisBody"]["eventList"][0]
    late_document = json.loads(documents[1][0].read_text(encoding="utf-8"))
    late_document["epcisBody"]["eventList"].append(early)  # an event of day 1 sent again on day 3
    documents[1][0].write_text(json.dumps(late_document), encoding="utf-8")

    service = blob_service()
    empty_containers(service)
    with environment({"RETAIL_FACTORY_WAREHOUSE": "duckdb", "RETAIL_FACTORY_DUCKDB_PATH": str(tmp_path / "w.duckdb")}):
        land_and_load(service, drop, DAYS)
        for day in DAYS:  # no lookback: each run sees its own date only, the others are "before"
            run_models(day, lookback_days=0)  # what the models hold; their data tests run elsewhere
        tables = sorted(set(incremental_tables()) | {("marts", m.name) for m in PUBLIC_MARTS})
        day_by_day = {table: fingerprint(table[1], table[0]) for table in tables}
        _, rejected = get_warehouse().query(
            "select source_table, rejection_reason from marts.fct_rejected_rows order by 1, 2"
        )
        run_models(third, "--full-refresh")
        full = {table: fingerprint(table[1], table[0]) for table in tables}

    different = [table for table in tables if day_by_day[table] != full[table]]
    assert not different, f"day by day and full builds differ: {different}"
    first_orders_blob = orders[0].name
    order_rejects = [reason for table, reason in rejected if table == "supply__store_orders"]
    assert len(order_rejects) == 2, rejected
    assert all(r.startswith("duplicate_key:") and first_orders_blob in r for r in order_rejects), order_rejects
    event_rejects = [reason for table, reason in rejected if table == "producer__epcis_events"]
    assert len(event_rejects) == 1 and event_rejects[0].startswith("duplicate_event:"), rejected
    assert documents[0][0].name in event_rejects[0]
