"""Spark as the factory's warehouse: SQL sent to a Spark Thrift server (``RETAIL_FACTORY_WAREHOUSE=spark``).

The server is the one process holding Spark's catalog, as a Databricks SQL warehouse or Synapse's
Spark pool would in production: the loader, the quality gates, dbt (``method: thrift``), the
trace and the forecast are its clients, so they may run at the same time (the in-process session
of ``warehouse.spark`` allows one process at a time). Here it is pyspark's own
``HiveThriftServer2`` on ``local[2]`` (``devstack.SparkThriftServer``); PyHive is the client.

What Spark's tables (Parquet, no Delta here: its jars are a download) cannot do, and what is done
instead:

* No transaction over several tables: each partition is replaced by one ``insert overwrite``, in
  an order that makes a retry repair a failure half-way. The loader writes the data tables first
  and the load log last, so a failed load leaves its entities "not loaded" and the next run
  reloads them; a forecast's tables are replaced one by one, the same way.
* No ``delete``: raw tables are partitioned by ``_ingest_date``, ``raw._load_log`` by date, domain
  and entity, and a job's ``ml.*`` table by its key, so that replacing a partition is the delete.
* Rows reach Spark as Parquet files the server reads in place, under ``RETAIL_FACTORY_SPARK_DIR``
  (``staging/``): the same machine here, a shared file system or cloud folder in production. Rows
  read in bulk (an export, a forecast's input) come back the same way, Spark writing the Parquet.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from retail_factory.config import Settings, get_settings
from retail_factory.warehouse.connections import (
    LOAD_LOG_TABLE,
    LOADED_BLOBS_SQL,
    OutputTable,
    Query,
    Rows,
    in_memory_staging,
    loaded_blobs_by_entity,
)
from retail_factory.warehouse.raw_tables import LINEAGE_COLUMNS, SCHEMA, RawTable, raw_tables

# Spark's names of the portable SQL types the factory's tables use.
SPARK_TYPES = {"varchar": "string", "double precision": "double", "integer": "int", "timestamp": "timestamp",
               "bigint": "bigint", "date": "date", "boolean": "boolean"}  # fmt: skip
# raw._load_log: the ingest date, domain and entity are its partition (replaced per loaded entity).
LOAD_LOG_DATA = "blob string, sha256 string, rows bigint, loaded_at timestamp"
LOAD_LOG_PARTITION = ("ingest_date", "domain", "entity")
# Per session: "double quoted" names are identifiers, as in DuckDB and PostgreSQL; a partition
# replaced by `insert overwrite` is only the partitions its rows hold (not the whole table). The
# Thrift server applies a session's settings only under the `set:hiveconf:` prefix.
SESSION_CONF = {
    "set:hiveconf:spark.sql.ansi.doubleQuotedIdentifiers": "true",
    "set:hiveconf:spark.sql.sources.partitionOverwriteMode": "dynamic",
}


# PyHive logs every statement it sends at INFO: thousands of lines in a task log.
logging.getLogger("pyhive").setLevel(logging.WARNING)


# Spark's error classes for a table or schema that does not exist, as its messages name them.
MISSING_TABLE_ERRORS = ("[TABLE_OR_VIEW_NOT_FOUND]", "[SCHEMA_NOT_FOUND]")


class SparkError(RuntimeError):
    """A statement Spark refused, with Spark's own message (not the server's Java stack)."""


def _short_error(error: Exception) -> str:
    status = getattr(getattr(error, "args", [None])[0], "status", None)
    message = getattr(status, "errorMessage", None) or str(error)
    return message.split("\n", 1)[0][:2000]


def _typed(value: Any, type_name: str) -> Any:
    """PyHive returns dates as text and decimals as ``Decimal``: dates become dates, as DuckDB's."""
    if value is None:
        return None
    if type_name == "DATE_TYPE":
        return dt.date.fromisoformat(value)
    return value


class SparkWarehouse:
    """A Spark Thrift server, reached with PyHive."""

    kind = "spark"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @contextmanager
    def connect(self) -> Iterator[Any]:
        from pyhive import hive

        conn = hive.connect(
            host=self.settings.spark_host, port=self.settings.spark_port, username="retail_factory",
            configuration=SESSION_CONF,
        )  # fmt: skip
        try:
            yield conn
        finally:
            conn.close()

    def is_missing_table(self, error: Exception) -> bool:
        return isinstance(error, SparkError) and any(name in str(error) for name in MISSING_TABLE_ERRORS)

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[Query]:
        with self.connect() as conn:
            cursor = conn.cursor()

            def query(sql: str, params: Sequence[Any] = ()) -> tuple[list[str], Rows]:
                _execute(cursor, sql, params)
                if not cursor.description:
                    return [], []
                types = [d[1] for d in cursor.description]
                rows = [tuple(_typed(v, t) for v, t in zip(row, types, strict=True)) for row in cursor.fetchall()]
                return [d[0] for d in cursor.description], rows

            yield query

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], Rows]:
        with self.session() as query:
            return query(sql, params)

    def query_frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """The rows as Spark writes them (``_written_by_spark``), not through PyHive: a forecast
        chunk's input is millions of rows. Decimals as doubles, as DuckDB's frames give them."""
        with self._written_by_spark(sql, params) as parts:
            table = pa.concat_tables([pq.read_table(part) for part in parts])
        schema = _wall_clock(table.schema)
        doubles = [f.with_type(pa.float64()) if pa.types.is_decimal(f.type) else f for f in schema]
        return table.cast(pa.schema(doubles)).to_pandas()

    def run_statements(self, statements: Sequence[str]) -> None:
        """One after the other: Spark has no transaction over several statements (see the module doc)."""
        with self.session() as query:
            for statement in statements:
                query(statement)

    def ensure_raw_tables(self) -> None:
        with self.session() as query:
            query(f"create database if not exists {SCHEMA}")
            partition = ", ".join(LOAD_LOG_PARTITION)
            query(
                f"create table if not exists {LOAD_LOG_TABLE} ({LOAD_LOG_DATA}, ingest_date date, domain string,"
                f" entity string) using parquet partitioned by ({partition})"
            )
            for table in raw_tables():
                query(_raw_table_sql(table))

    def loaded_blobs(self, day: dt.date) -> dict[tuple[str, str], set[tuple[str, str]]]:
        _, rows = self.query(LOADED_BLOBS_SQL.format("?"), [day])
        return loaded_blobs_by_entity(rows)

    def staging_area(self) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        return in_memory_staging()  # DuckDB reads the files, Spark gets Parquet

    def replace_partitions(
        self, staged: duckdb.DuckDBPyConnection, day: dt.date, tables: dict[str, RawTable], log: str
    ) -> None:
        with self._staging_folder() as folder, self.session() as query:
            for temp, table in tables.items():
                path = folder / f"{table.name}.parquet"
                staged.execute(f"copy {temp} to '{path}' (format parquet)")
                columns = ", ".join(_quote(c) for c in table.all_columns if c != "_ingest_date")
                # A static partition: replaced even when the file has no rows (an empty day).
                query(
                    f"insert overwrite table {table.qualified_name} partition (_ingest_date = date'{day}')"
                    f" ({columns}) select {columns} from parquet.`{path}`"
                )
            # Last: a load that failed before this line is not in the log, so it is loaded again.
            path = folder / "load_log.parquet"
            staged.execute(f"copy {log} to '{path}' (format parquet)")
            query(
                f"insert overwrite table {LOAD_LOG_TABLE} select blob, sha256, rows, loaded_at, ingest_date, domain,"
                f" entity from parquet.`{path}`"
            )

    def replace_rows(self, tables: dict[str, OutputTable], key_column: str, key: Any) -> None:
        """Each table partitioned by ``key_column``; the key's partition replaced, table by table."""
        with self._staging_folder() as folder, self.session() as query:
            for name, table in tables.items():
                query(f"create database if not exists {name.split('.')[0]}")
                others = [c for c in table.columns if c != key_column]
                columns = ", ".join(_typed_columns(table, others))
                key_type = SPARK_TYPES[table.columns[key_column]]
                query(
                    f"create table if not exists {name} ({columns}, {key_column} {key_type}) using parquet"
                    f" partitioned by ({key_column})"
                )
                existing = {row[0] for row in query(f"describe table {name}")[1]}
                added = [c for c in others if c not in existing]
                if added:  # a later version of the job writes more columns
                    query(f"alter table {name} add columns ({', '.join(_typed_columns(table, added))})")
                path = folder / name  # the parts, where the server reads them
                path.mkdir()
                for number, part in enumerate(table.parts):
                    shutil.copyfile(part, path / f"part-{number:05d}.parquet")
                selected = ", ".join(f"cast({c} as {SPARK_TYPES[table.columns[c]]}) as {c}" for c in others)
                query(  # by name: a column a newer job added is last in the table, wherever the job puts it
                    f"insert overwrite table {name} partition ({key_column} = ?) ({', '.join(others)})"
                    f" select {selected} from parquet.`{path}` where {key_column} = ?",
                    [key, key],
                )

    def write_parquet(self, sql: str, params: Sequence[Any], path: Path) -> int:
        """Spark's parts (``_written_by_spark``) joined a row group at a time: no row crosses PyHive."""
        with self._written_by_spark(sql, params) as parts:
            schema = _wall_clock(pq.read_schema(parts[0]))
            rows = 0
            with pq.ParquetWriter(path, schema, compression="zstd") as writer:
                for part in map(pq.ParquetFile, parts):
                    for group in range(part.num_row_groups):
                        table = part.read_row_group(group).cast(schema)
                        writer.write_table(table)
                        rows += table.num_rows
        return rows

    @contextmanager
    def _written_by_spark(self, select: str, params: Sequence[Any]) -> Iterator[list[Path]]:
        """A query's rows as the Parquet parts Spark writes itself, a part per task, into the staging
        folder it shares with this process (removed after). No row crosses the Thrift protocol,
        which PyHive reads a row at a time (740 s for 11 million rows, docs/scale.md). An empty
        result is one part too, with the columns' types."""
        with self._staging_folder() as folder, self.session() as query:
            # Spark's default is INT96 (deprecated; read as nanoseconds): microseconds, as DuckDB's.
            query("set spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS")
            query(f"insert overwrite directory '{folder}/parts' using parquet {select}", params)
            yield sorted((folder / "parts").glob("*.parquet"))  # not _SUCCESS and the checksums

    @contextmanager
    def _staging_folder(self) -> Iterator[Path]:
        folder = self.settings.spark_dir.resolve() / "staging" / uuid.uuid4().hex
        folder.mkdir(parents=True)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _wall_clock(schema: pa.Schema) -> pa.Schema:
    """Spark's schema of written rows as DuckDB gives them: timestamps as UTC wall-clock times
    without a zone (Spark marks its instants UTC; the session's zone is UTC), without Spark's metadata."""
    fields = [f.with_type(pa.timestamp(f.type.unit)) if pa.types.is_timestamp(f.type) else f for f in schema]
    return pa.schema(fields)


def _typed_columns(table: OutputTable, names: list[str]) -> list[str]:
    return [f"{name} {SPARK_TYPES[table.columns[name]]}" for name in names]


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _raw_table_sql(table: RawTable) -> str:
    data = [f"{_quote(column)} string" for column in table.columns]
    lineage = [f"{name} {SPARK_TYPES[sql_type]}" for name, sql_type in LINEAGE_COLUMNS if name != "_ingest_date"]
    return (
        f"create table if not exists {table.qualified_name} ({', '.join(data + lineage)}, _ingest_date date)"
        " using parquet partitioned by (_ingest_date)"
    )


def _literal(value: Any) -> str:
    """A parameter as a Spark SQL literal: dates typed (a date partition compared with text makes
    the metastore's partition filter fail), the rest escaped by PyHive."""
    from pyhive import hive

    if isinstance(value, dt.datetime):
        return f"timestamp'{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"date'{value.isoformat()}'"
    return str(hive._escaper.escape_item(value))


def _execute(cursor: Any, sql: str, params: Sequence[Any]) -> None:
    """Run one statement; ``?`` placeholders as in DuckDB (PyHive would take ``%s`` and send dates as text)."""
    from pyhive.exc import Error

    if params:
        parts = sql.split("?")
        if len(parts) != len(params) + 1:
            raise ValueError(f"{len(params)} parameters for {len(parts) - 1} placeholders in: {sql[:500]}")
        sql = "".join(part + _literal(value) for part, value in zip(parts, params, strict=False)) + parts[-1]
    try:
        cursor.execute(sql)
    except Error as error:
        raise SparkError(f"{_short_error(error)}\nin: {sql[:500]}") from None
