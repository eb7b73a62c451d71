"""Read one landed file into a DuckDB temporary table shaped like its raw table.

DuckDB's own readers do the work (``read_csv``, ``read_parquet``, ``read_ndjson_objects``): no
Python loop over rows. Every value is read as text; decimal commas, dates and booleans are typed
in dbt staging, where a bad value becomes a reject with a reason instead of a failed load.
The same temporary table feeds DuckDB (``insert … select``) and PostgreSQL (``COPY``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from retail_factory.sources.contracts import Contract
from retail_factory.warehouse.epcis import flatten_epcis
from retail_factory.warehouse.raw_tables import RawTable

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class LandedFile:
    """A raw blob downloaded for loading, with the lineage its rows will carry."""

    blob: str
    sha256: str
    path: Path
    contract: Contract


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _file_columns(con: duckdb.DuckDBPyConnection, source_sql: str, path: Path) -> set[str]:
    return {row[0] for row in con.execute(f"describe select * from {source_sql}", [str(path)]).fetchall()}


def _csv_source(contract: Contract) -> str:
    # null_padding / strict_mode off: a short or long row is still read (its missing fields are
    # null, so staging rejects it with a reason) and the row numbers stay those of the file.
    return (
        f"read_csv(?, delim='{contract.delimiter}', header=true, all_varchar=true, quote='\"', escape='\"', "
        "null_padding=true, strict_mode=false)"
    )


def _select_list(contract: Contract, table: RawTable, present: set[str], json: bool) -> str:
    parts = []
    for name in table.columns:
        column = contract.column(name)
        if json:
            path = "'$." + quote_identifier(name).replace("'", "''") + "'"
            function = (
                "json_extract" if column is not None and column.type in ("object", "array") else "json_extract_string"
            )
            parts.append(f"cast({function}(json, {path}) as varchar) as {quote_identifier(name)}")
        elif name in present:
            parts.append(f"cast({quote_identifier(name)} as varchar) as {quote_identifier(name)}")
        else:
            parts.append(f"cast(null as varchar) as {quote_identifier(name)}")
    return ", ".join(parts)


def read_tabular_file(
    con: duckdb.DuckDBPyConnection, file: LandedFile, table: RawTable, into: str, day: dt.date, loaded_at: dt.datetime
) -> int:
    """Append the rows of one CSV, Parquet or JSON Lines file to the temporary table ``into``."""
    fmt = file.contract.format
    if fmt == "csv":
        source = _csv_source(file.contract)
        select = _select_list(file.contract, table, _file_columns(con, source, file.path), json=False)
    elif fmt == "parquet":
        source = "read_parquet(?)"
        select = _select_list(file.contract, table, _file_columns(con, source, file.path), json=False)
    elif fmt == "jsonl":
        source = "read_ndjson_objects(?)"
        select = _select_list(file.contract, table, set(), json=True)
    else:
        raise ValueError(f"{file.blob}: no tabular reader for format {fmt!r}")
    # A temporary table keeps the file's row order, so rowid + 1 is the row number in the file.
    con.execute(f"create or replace temp table _file as select * from {source}", [str(file.path)])
    count = con.execute(
        f"insert into {into} select {select}, ?, ?, rowid + 1, ?, ? from _file",
        [file.blob, file.sha256, day, loaded_at],
    ).fetchone()
    con.execute("drop table _file")
    return int(count[0]) if count else 0


def read_epcis_file(
    con: duckdb.DuckDBPyConnection,
    file: LandedFile,
    tables: dict[str, RawTable],
    into: dict[str, str],
    day: dt.date,
    loaded_at: dt.datetime,
) -> dict[str, int]:
    """Append the flattened events of one EPCIS document to the temporary tables in ``into``."""
    counts = {}
    for name, arrow in flatten_epcis(file.path).items():
        columns = ", ".join(quote_identifier(c) for c in tables[name].columns)
        con.register("_events", arrow)
        try:
            con.execute(
                f"insert into {into[name]} select {columns}, ?, ?, _source_row, ?, ? from _events",
                [file.blob, file.sha256, day, loaded_at],
            )
        finally:
            con.unregister("_events")
        counts[name] = arrow.num_rows
    return counts
