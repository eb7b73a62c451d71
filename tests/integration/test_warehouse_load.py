"""Loading landed blobs into raw.* on DuckDB and on a real PostgreSQL: counts, lineage, exactly once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from retail_factory.config import DOMAINS
from retail_factory.landing.lander import Lander
from retail_factory.sources.contracts import ALL_CONTRACTS, contract_for
from retail_factory.storage import blob_service
from retail_factory.warehouse import readers
from retail_factory.warehouse.loader import RawLoader

from tests.conftest import SIM_START

pytestmark = pytest.mark.integration
DAY = SIM_START


def land(service, drop: Path, day: dt.date = DAY) -> None:
    lander = Lander(service, run_id="test")
    for contract in ALL_CONTRACTS:
        lander.land_entity(contract, drop, day)


def landed_rows(service) -> dict[str, int]:
    """Rows per entity according to the landing's blob metadata (latest version of each file)."""
    rows: dict[str, int] = {}
    for blob in service.get_container_client("raw").list_blobs(include=["metadata"]):
        domain, entity = blob.name.split("/")[:2]
        rows[f"{domain}__{entity}"] = rows.get(f"{domain}__{entity}", 0) + int(blob.metadata["rows"])
    return rows


# The Spark warehouse (a Thrift server) runs the tests of what a load must do on any warehouse, but
# for the rows and lineage: test_spark.py finds them identical to DuckDB's (time).
ALL_WAREHOUSES = pytest.mark.parametrize("warehouse", ["duckdb", "postgres", "spark"], indirect=True)


def count(warehouse, table: str, day: dt.date = DAY) -> int:
    _, rows = warehouse.query(f"select count(*) from raw.{table} where _ingest_date = ?", [day])
    return rows[0][0]


@pytest.fixture
def loaded(storage, drop_copy: Path, warehouse):
    service = blob_service()
    land(service, drop_copy)
    summary = RawLoader(service, warehouse).load_day(DAY, DOMAINS)
    return service, warehouse, summary


def test_every_landed_row_is_loaded_with_its_lineage(loaded) -> None:
    service, warehouse, summary = loaded
    expected = landed_rows(service)
    for name, rows in expected.items():
        table = "producer__epcis_events" if name == "producer__epcis" else name
        assert count(warehouse, table) == rows, name
    assert {e.outcome for e in summary.entities} == {"loaded"}

    _, lineage = warehouse.query(
        "select _source_blob, _source_sha256, min(_source_row), max(_source_row), count(*) "
        "from raw.retail__pos where _ingest_date = ? group by 1, 2",
        [DAY],
    )
    container = service.get_container_client("raw")
    for blob, sha256, first, last, rows in lineage:
        data = container.download_blob(blob).readall()
        assert hashlib.sha256(data).hexdigest() == sha256
        assert (first, last) == (1, rows)  # row numbers are the file's own


def test_values_are_kept_as_landed_text(loaded) -> None:
    _, warehouse, _ = loaded
    _, rows = warehouse.query("select unit_price from raw.retail__pos where _ingest_date = ? limit 5", [DAY])
    assert all("," in value for (value,) in rows)  # decimal commas, typed later in dbt staging
    _, nutriments = warehouse.query("select nutriments from raw.retail__products where nutriments is not null limit 1")
    assert "energy-kj_100g" in json.loads(nutriments[0][0])


@ALL_WAREHOUSES
def test_reloading_the_same_blobs_changes_nothing(loaded) -> None:
    service, warehouse, _ = loaded
    before = warehouse.query("select _source_blob, _source_row, _loaded_at from raw.retail__stock order by 1, 2")
    summary = RawLoader(service, warehouse).load_day(DAY, DOMAINS)
    assert {e.outcome for e in summary.entities} == {"unchanged"}
    assert (
        warehouse.query("select _source_blob, _source_row, _loaded_at from raw.retail__stock order by 1, 2") == before
    )


def test_a_redelivered_file_replaces_the_partition(loaded, drop_copy: Path) -> None:
    service, warehouse, _ = loaded
    orders = next((drop_copy / "supply" / "store_orders" / DAY.isoformat()).glob("*.csv"))
    lines = orders.read_text(encoding="utf-8").splitlines(keepends=True)
    orders.write_text("".join(lines[:3]), encoding="utf-8")  # the source re-sends a shorter file
    Lander(service, run_id="again").land_entity(contract_for("supply", "store_orders"), drop_copy, DAY)

    summary = RawLoader(service, warehouse).load_day(DAY, DOMAINS)
    outcomes = {f"{e.domain}.{e.entity}": e.outcome for e in summary.entities}
    assert outcomes["supply.store_orders"] == "loaded"
    assert outcomes["retail.pos"] == "unchanged"
    assert count(warehouse, "supply__store_orders") == 2
    _, blobs = warehouse.query("select distinct _source_blob from raw.supply__store_orders")
    assert [b for (b,) in blobs] == [f"supply/store_orders/ingest_date={DAY}/{orders.stem}.v2.csv"]


def test_a_failed_load_leaves_the_previous_state(loaded, drop_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service, warehouse, _ = loaded
    before = {t: count(warehouse, t) for t in ("retail__pos", "supply__store_orders")}
    orders = next((drop_copy / "supply" / "store_orders" / DAY.isoformat()).glob("*.csv"))
    orders.write_text("".join(orders.read_text(encoding="utf-8").splitlines(keepends=True)[:4]), encoding="utf-8")
    Lander(service, run_id="again").land_entity(contract_for("supply", "store_orders"), drop_copy, DAY)
    real_read = readers.read_tabular_file

    def fail_on_orders(con, file, table, into, day, loaded_at):
        if table.entity == "store_orders":
            raise OSError("disk full while reading")
        return real_read(con, file, table, into, day, loaded_at)

    monkeypatch.setattr("retail_factory.warehouse.loader.read_tabular_file", fail_on_orders)
    with pytest.raises(OSError, match="disk full"):
        RawLoader(service, warehouse).load_day(DAY, DOMAINS)
    assert {t: count(warehouse, t) for t in before} == before

    monkeypatch.setattr("retail_factory.warehouse.loader.read_tabular_file", real_read)
    RawLoader(service, warehouse).load_day(DAY, DOMAINS)  # the retry finishes the job
    assert count(warehouse, "supply__store_orders") == 3


@ALL_WAREHOUSES
def test_a_date_without_files_gets_an_empty_partition(storage, warehouse) -> None:
    summary = RawLoader(blob_service(), warehouse).load_day(DAY, DOMAINS)
    assert {e.outcome for e in summary.entities} == {"no_files"}
    assert count(warehouse, "retail__pos") == 0
    again = RawLoader(blob_service(), warehouse).load_day(DAY, DOMAINS)
    assert {e.outcome for e in again.entities} == {"unchanged"}


def test_both_warehouses_load_the_same_rows(storage, drop_copy: Path, duckdb_warehouse, postgres_warehouse) -> None:
    service = blob_service()
    land(service, drop_copy)
    tables = ["retail__pos", "retail__stock", "retail__products", "supply__shipments", "producer__epcis_quantities"]
    contents = []
    for warehouse in (duckdb_warehouse, postgres_warehouse):
        RawLoader(service, warehouse).load_day(DAY, DOMAINS)
        contents.append(
            {
                t: sorted(
                    warehouse.query(f"select * from raw.{t} where _ingest_date = ?", [DAY])[1],
                    key=lambda row: (row[-5], row[-3]),
                )
                for t in tables
            }
        )
    duck, pg = contents
    for table in tables:
        assert len(duck[table]) == len(pg[table]) > 0
        # Data columns and lineage are equal; the load times differ (two loads).
        assert [row[:-1] for row in duck[table]] == [row[:-1] for row in pg[table]], table


@ALL_WAREHOUSES
def test_a_job_table_gains_the_columns_a_newer_job_writes(warehouse, tmp_path: Path) -> None:
    """ml.* tables are created by the jobs; a column added in a later release is added in place."""
    import pandas as pd
    from retail_factory.warehouse.connections import OutputTable, write_part

    def output_table(columns: dict[str, str], rows: pd.DataFrame, folder: Path) -> OutputTable:
        return OutputTable(columns, (write_part(columns, rows, folder / "part-0.parquet"),))

    old_rows = pd.DataFrame({"as_of_date": [DAY], "series": [3.0]})  # 3.0 goes in as the integer 3
    old = output_table({"as_of_date": "date", "series": "integer"}, old_rows, tmp_path / "old")
    warehouse.replace_rows({"ml.table_that_grows": old}, "as_of_date", DAY)
    newer_rows = pd.DataFrame({"as_of_date": [DAY + dt.timedelta(days=1)], "series": [4], "note": ["new"]})
    # The new column is not last in the job's list: rows go in by name, not by position.
    newer = output_table({"as_of_date": "date", "note": "varchar", "series": "integer"}, newer_rows, tmp_path / "new")
    warehouse.replace_rows({"ml.table_that_grows": newer}, "as_of_date", DAY + dt.timedelta(days=1))
    _, rows = warehouse.query("select series, note from ml.table_that_grows order by as_of_date")
    assert [tuple(r) for r in rows] == [(3, None), (4, "new")]
    # A run with no rows for a date replaces that date's rows with none (its part is empty, typed).
    nothing = output_table(newer.columns, newer_rows.iloc[:0], tmp_path / "empty")
    warehouse.replace_rows({"ml.table_that_grows": nothing}, "as_of_date", DAY)
    _, rows = warehouse.query("select series, note from ml.table_that_grows order by as_of_date")
    assert [tuple(r) for r in rows] == [(4, "new")]


def test_spark_says_what_is_wrong_with_a_statement(spark_warehouse) -> None:
    """Spark's own message and the statement, not the server's Java stack."""
    from retail_factory.warehouse.spark_warehouse import SparkError

    with pytest.raises(SparkError, match="TABLE_OR_VIEW_NOT_FOUND") as refused:
        spark_warehouse.query("select * from raw.no_such_table where _ingest_date = ?", [DAY])
    assert f"_ingest_date = date'{DAY}'" in str(refused.value) and "at org.apache" not in str(refused.value)
