"""Fingerprints of the warehouse's tables: what they hold, whatever order it was written in.

A fingerprint is a table's row count and a SHA-256 of its rows, each row written as text and the
lines sorted, so that two warehouses that hold the same data have the same fingerprints — built
day by day or by a backfill, re-run or not, on DuckDB, PostgreSQL or Spark (numbers are compared to four
decimals, timestamps without their zone). Columns that only say *when* rows were loaded are left
out. ``retail-factory fingerprint`` prints them: compare before and after a replay or a backfill.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from dataclasses import dataclass
from typing import Any

from retail_factory.warehouse.connections import Query, Warehouse, get_warehouse

# Every schema the factory writes: raw (loader), dbt's layers and seeds, the data products'.
SCHEMAS = ("raw", "staging", "intermediate", "marts", "reference", "ml", "trace")
# When the rows arrived, not what they say (raw lineage and the load log).
LOAD_TIME_COLUMNS = frozenset({"_loaded_at", "loaded_at"})


@dataclass(frozen=True)
class Fingerprint:
    rows: int
    sha256: str

    def as_record(self) -> dict[str, Any]:
        return {"rows": self.rows, "sha256": self.sha256}


def canonical(value: Any) -> str:
    """A value as text that DuckDB and PostgreSQL agree on."""
    if isinstance(value, float | decimal.Decimal):
        return f"{float(value):.4f}"
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat()
    return "" if value is None else str(value)


def fingerprint_rows(rows: list[tuple[Any, ...]]) -> Fingerprint:
    lines = sorted("|".join(canonical(value) for value in row) for row in rows)
    return Fingerprint(len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest())


def table_fingerprint(query: Query, table: str, spark: bool = False) -> Fingerprint:
    """``table`` (``schema.name``) without its load-time columns, its columns in name order (Spark
    puts a table's partition columns last, DuckDB and PostgreSQL where they were declared)."""
    schema, name = table.split(".", 1)
    if spark:
        columns = _spark_columns(query, table)
    else:
        columns = [c for (c,) in query(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?"
            " order by ordinal_position", [schema, name])[1]]  # fmt: skip
    kept = [f'"{column}"' for column in sorted(columns) if column not in LOAD_TIME_COLUMNS]
    _, rows = query(f'select {", ".join(kept)} from {schema}."{name}"')
    return fingerprint_rows(rows)


def warehouse_tables(query: Query, schemas: tuple[str, ...] = SCHEMAS, spark: bool = False) -> list[str]:
    """The base tables (not views: they hold nothing of their own) of ``schemas``, as ``schema.name``."""
    if spark:  # no information_schema in Spark's catalog
        found = []
        databases = {d for (d,) in query("show databases")[1]}
        for schema in sorted(databases & set(schemas)):
            tables = {name for _, name, _ in query(f"show tables in {schema}")[1]}
            views = {name for _, name, _ in query(f"show views in {schema}")[1]}
            found += [f"{schema}.{name}" for name in sorted(tables - views)]
        return found
    marks = ", ".join("?" for _ in schemas)
    _, rows = query(
        "select table_schema, table_name from information_schema.tables"
        f" where table_type = 'BASE TABLE' and table_schema in ({marks}) order by 1, 2",
        list(schemas),
    )
    return [f"{schema}.{name}" for schema, name in rows]


def _spark_columns(query: Query, table: str) -> list[str]:
    """A Spark table's columns (``describe`` lists them, then a blank line and its partitioning)."""
    columns = []
    for name, *_ in query(f"describe table {table}")[1]:
        if not name or name.startswith("#"):
            break
        columns.append(name)
    return columns


def fingerprints(warehouse: Warehouse | None = None, schemas: tuple[str, ...] = SCHEMAS) -> dict[str, Fingerprint]:
    """Every table of ``schemas`` and its fingerprint, read in one read-only session."""
    w = warehouse or get_warehouse()
    spark = w.kind == "spark"
    with w.session(read_only=True) as query:
        return {table: table_fingerprint(query, table, spark) for table in warehouse_tables(query, schemas, spark)}


def differences(before: dict[str, Fingerprint], after: dict[str, Fingerprint]) -> dict[str, str]:
    """The tables whose content differs between two sets of fingerprints, with what changed."""
    changed = {}
    for table in sorted(before.keys() | after.keys()):
        if table not in after:
            changed[table] = "gone"
        elif table not in before:
            changed[table] = f"new ({after[table].rows} rows)"
        elif before[table] != after[table]:
            old, new = before[table], after[table]
            changed[table] = (
                f"{old.rows} → {new.rows} rows" if old.rows != new.rows else "same row count, other content"
            )
    return changed
