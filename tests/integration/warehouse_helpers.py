"""Helpers of the integration and DAG tests: spoil, land, load and build simulated days the way the DAGs do."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from retail_factory.config import DOMAINS, get_settings
from retail_factory.landing.lander import Lander
from retail_factory.sources.contracts import ALL_CONTRACTS
from retail_factory.sources.simulator.faults import applicable_faults
from retail_factory.sources.simulator.writers import WrittenFile
from retail_factory.storage import blob_service
from retail_factory.warehouse.connections import get_warehouse
from retail_factory.warehouse.dbt import dbt_vars, run_dbt
from retail_factory.warehouse.export import PUBLIC_MARTS, curated_blob
from retail_factory.warehouse.fingerprint import Fingerprint, fingerprint_rows, table_fingerprint
from retail_factory.warehouse.loader import RawLoader


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def file_to_spoil(drop: Path, day: dt.date, kind: str, registry: dict | None = None) -> WrittenFile:
    """The largest file of ``day`` the fault applies to (so that row faults stay under tolerance)."""
    candidates = []
    for contract in ALL_CONTRACTS:
        for path in (drop / contract.domain / contract.entity / day.isoformat()).glob("*"):
            rows = max(0, len(path.read_bytes().splitlines()) - 1) if contract.format == "csv" else 1
            file = WrittenFile(path, contract, rows)
            if kind in applicable_faults(file, registry):
                candidates.append((path.stat().st_size, str(path), file))
    assert candidates, f"no file of {day} to inject {kind} into"
    return max(candidates)[2]


def land(service, drop: Path, day: dt.date) -> None:
    """Every entity of ``day`` from the drop folder, as the landing DAGs do."""
    lander = Lander(service, run_id="test")
    for contract in ALL_CONTRACTS:
        lander.land_entity(contract, drop, day)


def land_and_load(service, drop: Path, days: list[dt.date]) -> None:
    for day in days:
        land(service, drop, day)
        RawLoader(service, get_warehouse()).load_day(day, DOMAINS)


def build(run_date: dt.date, *options: str, **more_vars: Any) -> Any:
    """What the transform DAG runs for a date: models and data tests (unit tests run on their own)."""
    return run_dbt(
        ["build", *dbt_vars(**more_vars), "--exclude-resource-type", "unit_test", *options], run_date=run_date
    )


def run_models(run_date: dt.date, *options: str, **more_vars: Any) -> Any:
    """Seeds and models of a date without their data tests: for a test about what the models hold."""
    skipped = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    return run_dbt(["build", *dbt_vars(**more_vars), *skipped, *options], run_date=run_date)


def fingerprint(table: str, schema: str = "marts") -> Fingerprint:
    """Row count and a hash of the sorted rows, equal for equal contents on either warehouse."""
    with get_warehouse().session() as query:
        return table_fingerprint(query, f"{schema}.{table}")


def all_fingerprints() -> dict[str, Fingerprint]:
    return {mart.name: fingerprint(mart.name) for mart in PUBLIC_MARTS}


def sql_literal(value: Any) -> str:
    """A Python value as a SQL literal both DuckDB and PostgreSQL read."""
    if value is None or (isinstance(value, float) and value != value):
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return f"date '{value.isoformat()}'"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def write_tables(warehouse, tables: dict[str, tuple[str, list[tuple]]], schema: str = "marts") -> None:
    """Create ``schema`` and each table (``name -> (columns DDL, rows)``) with its rows, in one transaction."""
    statements = [f"create schema {schema}"]
    for table, (columns, rows) in tables.items():
        statements.append(f"create table {schema}.{table} ({columns})")
        for start in range(0, len(rows), 1000):
            values = ", ".join("(" + ", ".join(sql_literal(v) for v in row) + ")" for row in rows[start : start + 1000])
            statements.append(f"insert into {schema}.{table} values {values}")
    warehouse.run_statements(statements)


def exported_files(day: dt.date) -> dict[str, tuple[list[tuple[str, str]], Fingerprint]]:
    """Each public mart's export of ``day`` as read from Blob: its columns with the kind of each
    (a reader sees a date, a timestamp, text, a number or a flag) and a fingerprint of its rows."""
    kinds = {
        "date": pa.types.is_date,
        "timestamp": pa.types.is_timestamp,
        "flag": pa.types.is_boolean,
        "text": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
        "number": lambda t: pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t),
    }

    def kind(field: pa.Field) -> str:
        return next((name for name, is_kind in kinds.items() if is_kind(field.type)), str(field.type))

    container = blob_service().get_container_client(get_settings().curated_container)
    files = {}
    for mart in PUBLIC_MARTS:
        table = pq.read_table(io.BytesIO(container.download_blob(curated_blob(mart, day)).readall()))
        columns = [(field.name, kind(field)) for field in table.schema]
        files[mart.name] = (columns, fingerprint_rows([tuple(row.values()) for row in table.to_pylist()]))
    return files
