"""The warehouses: a DuckDB file (default) and PostgreSQL, chosen by ``RETAIL_FACTORY_WAREHOUSE``
(and Spark, in ``warehouse.spark_warehouse``).

They offer the same few operations the factory needs: run a query, run statements in one
transaction, replace one ingest date of some raw tables in a single transaction from rows
staged in a DuckDB temporary table, and replace a job's rows for a key from Parquet parts
(``OutputTable``). DuckDB inserts them directly; PostgreSQL receives them through
``COPY … FROM STDIN`` (CSV); Spark reads them as Parquet files, without the transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from retail_factory.config import PostgresSettings, Settings, get_postgres_settings, get_settings
from retail_factory.warehouse.raw_tables import LOAD_LOG_COLUMNS, LOAD_LOG_TABLE, SCHEMA, RawTable, raw_tables
from retail_factory.warehouse.readers import quote_identifier

Rows = list[tuple[Any, ...]]
Query = Callable[..., tuple[list[str], Rows]]  # (sql, params=()) -> (columns, rows)


class Warehouse(Protocol):
    kind: str

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], Rows]: ...

    def query_frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """A query's rows as a DataFrame (columnar from DuckDB: millions of rows without Python tuples)."""
        ...

    def run_statements(self, statements: Sequence[str]) -> None:
        """Run the statements in one transaction: all of them take effect, or none."""
        ...

    def write_parquet(self, sql: str, params: Sequence[Any], path: Path) -> int:
        """A query's rows into one Parquet file at ``path`` (zstd; the curated export); returns their count."""
        ...

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[Query]:
        """One connection for several queries (a trace asks a few, and connecting costs more)."""
        ...

    def is_missing_table(self, error: Exception) -> bool:
        """Whether ``error`` is this engine's "no such table (or schema)": nothing has written it yet."""
        ...

    def ensure_raw_tables(self) -> None: ...

    def loaded_blobs(self, day: dt.date) -> dict[tuple[str, str], set[tuple[str, str]]]: ...

    @contextmanager
    def staging_area(self) -> Iterator[duckdb.DuckDBPyConnection]: ...

    def replace_partitions(
        self, staged: duckdb.DuckDBPyConnection, day: dt.date, tables: dict[str, RawTable], log: str
    ) -> None: ...

    def replace_rows(self, tables: dict[str, OutputTable], key_column: str, key: Any) -> None:
        """Replace the rows whose ``key_column`` is ``key`` in every table, in one transaction."""
        ...


# Arrow's names of the portable SQL types: the Parquet parts of a job's rows carry them, empty or not.
ARROW_TYPES = {"varchar": "string", "double precision": "float64", "integer": "int64", "bigint": "int64",
               "boolean": "bool", "date": "date32", "timestamp": "timestamp[us]"}  # fmt: skip


@dataclass(frozen=True)
class OutputTable:
    """Rows a job writes to a table of its own (``ml.*``): its columns' SQL types and the Parquet
    files (parts) holding the new rows. A large job writes its rows part by part as it computes
    them, and the warehouse reads the parts from disk: no run is held whole in memory."""

    columns: dict[str, str]  # name -> portable SQL type (varchar, date, integer, double precision, boolean)
    parts: tuple[Path, ...]

    def create_sql(self, name: str) -> list[str]:
        """The table if it is new, and the columns a later version of the job added if it is not."""
        columns = ", ".join(f"{c} {t}" for c, t in self.columns.items())
        added = [f"alter table {name} add column if not exists {c} {t}" for c, t in self.columns.items()]
        return [f"create table if not exists {name} ({columns})", *added]

    def rows(self) -> pd.DataFrame:
        """Every part's rows, in the order of the parts (a small run's, for reading back in a test or a replay)."""
        import pyarrow.parquet as pq

        return pd.concat([pq.read_table(p).to_pandas() for p in self.parts], ignore_index=True)


def write_part(columns: dict[str, str], rows: pd.DataFrame, path: Path) -> Path:
    """``rows`` as a Parquet part of an ``OutputTable``: the declared columns, in the declared types
    (integers rounded, so no ``3.0`` reaches an integer column)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = {}
    for column, sql_type in columns.items():
        values = rows[column]
        if sql_type == "date":
            values = pd.to_datetime(values).dt.date
        elif sql_type in ("integer", "bigint"):
            values = pd.to_numeric(values).round().astype("Int64")
        arrays[column] = pa.array(values, type=pa.type_for_alias(ARROW_TYPES[sql_type]), from_pandas=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(arrays), path)
    return path


def loaded_blobs_by_entity(rows: Rows) -> dict[tuple[str, str], set[tuple[str, str]]]:
    blobs: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for domain, entity, blob, sha256 in rows:
        blobs.setdefault((domain, entity), set())
        if blob is not None:
            blobs[(domain, entity)].add((blob, sha256))
    return blobs


LOADED_BLOBS_SQL = f"select domain, entity, blob, sha256 from {LOAD_LOG_TABLE} where ingest_date = {{}}"
# The log rows of the entities being replaced: those the staged log names.
DELETE_LOG_SQL = (
    f"delete from {LOAD_LOG_TABLE} where ingest_date = {{day}} and domain || '.' || entity in ({{entities}})"
)


@contextmanager
def in_memory_staging() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB where the loader reads the landed files, for a warehouse that is not DuckDB."""
    con = duckdb.connect()
    try:
        yield con
    finally:
        con.close()


class DuckDBWarehouse:
    """One DuckDB file. Only one process may write it at a time: the DAGs serialise warehouse tasks."""

    kind = "duckdb"

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.path), read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], Rows]:
        with self.session() as query:
            return query(sql, params)

    def is_missing_table(self, error: Exception) -> bool:
        return isinstance(error, duckdb.CatalogException)

    def query_frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self.connect() as con:
            return con.execute(sql, list(params)).df()

    def write_parquet(self, sql: str, params: Sequence[Any], path: Path) -> int:
        import pyarrow.parquet as pq

        with self.connect() as con:  # columnar: DuckDB's driver hands Arrow over
            table = con.sql(sql, params=list(params)).to_arrow_table()
        pq.write_table(table, path, compression="zstd")
        return table.num_rows

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[Query]:
        # Read-write by default, like dbt's own connection: DuckDB refuses two configurations in one
        # process. Read-only for a process that never writes (the UI pages), so it does not lock out
        # the writers, though it waits for none of them: a writer holding the file refuses it.
        with self.connect(read_only=read_only) as con:

            def query(sql: str, params: Sequence[Any] = ()) -> tuple[list[str], Rows]:
                cursor = con.execute(sql, list(params))
                return [d[0] for d in cursor.description or []], cursor.fetchall()

            yield query

    def run_statements(self, statements: Sequence[str]) -> None:
        with self.connect() as con:
            con.execute("begin transaction")
            try:
                for statement in statements:
                    con.execute(statement)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise

    def ensure_raw_tables(self) -> None:
        with self.connect() as con:
            con.execute(f"create schema if not exists {SCHEMA}")
            con.execute(f"create table if not exists {LOAD_LOG_TABLE} ({LOAD_LOG_COLUMNS})")
            for table in raw_tables():
                con.execute(table.create_sql())

    def loaded_blobs(self, day: dt.date) -> dict[tuple[str, str], set[tuple[str, str]]]:
        with self.connect() as con:
            return loaded_blobs_by_entity(con.execute(LOADED_BLOBS_SQL.format("?"), [day]).fetchall())

    @contextmanager
    def staging_area(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.connect() as con:
            yield con

    def replace_partitions(
        self, staged: duckdb.DuckDBPyConnection, day: dt.date, tables: dict[str, RawTable], log: str
    ) -> None:
        entities = ", ".join(
            f"'{d}.{e}'" for d, e in staged.execute(f"select distinct domain, entity from {log}").fetchall()
        )
        staged.execute("begin transaction")
        try:
            if entities:
                staged.execute(DELETE_LOG_SQL.format(day="?", entities=entities), [day])
            staged.execute(f"insert into {LOAD_LOG_TABLE} select * from {log}")
            for temp, table in tables.items():
                staged.execute(f"delete from {table.qualified_name} where _ingest_date = ?", [day])
                columns = ", ".join(quote_identifier(c) for c in table.all_columns)
                staged.execute(f"insert into {table.qualified_name} ({columns}) select {columns} from {temp}")
            staged.execute("commit")
        except BaseException:
            staged.execute("rollback")
            raise

    def replace_rows(self, tables: dict[str, OutputTable], key_column: str, key: Any) -> None:
        with self.connect() as con:
            con.execute("begin transaction")
            try:
                for name, table in tables.items():
                    con.execute(f"create schema if not exists {name.split('.')[0]}")
                    for statement in table.create_sql(name):
                        con.execute(statement)
                    con.execute(f"delete from {name} where {key_column} = ?", [key])
                    columns = ", ".join(table.columns)
                    con.execute(
                        f"insert into {name} ({columns}) select {columns} from read_parquet(?)",
                        [[str(p) for p in table.parts]],
                    )
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise


def _postgres_arrow_type(column: Any) -> Any:
    """The Arrow type of a column psycopg2 describes, from PostgreSQL's type (``pg_type`` OID): Arrow
    infers ``null`` from a day whose values are all null (or no row), and that day's file would lack
    the type the other days have. By hand: psycopg2 does not map types to Arrow, and ADBC's
    PostgreSQL driver reads ``numeric`` as text. ``None`` (as inferred) for a type the marts do not use."""
    import pyarrow as pa

    if column.type_code == 1700:  # numeric: its declared precision and scale, or a double if it has none
        return pa.decimal128(column.precision, column.scale) if column.precision else pa.float64()
    types = {16: pa.bool_(), 20: pa.int64(), 21: pa.int16(), 23: pa.int32(), 700: pa.float32(), 701: pa.float64(),
             25: pa.string(), 114: pa.string(), 1042: pa.string(), 1043: pa.string(), 3802: pa.string(),
             1082: pa.date32(), 1114: pa.timestamp("us"), 1184: pa.timestamp("us", tz="UTC")}  # fmt: skip
    return types.get(column.type_code)


class PostgresWarehouse:
    """A PostgreSQL database; rows arrive by ``COPY`` inside one transaction per load."""

    kind = "postgres"

    def __init__(self, settings: PostgresSettings) -> None:
        self.settings = settings

    @contextmanager
    def connect(self) -> Iterator[Any]:
        import psycopg2

        conn = psycopg2.connect(**self.settings.connect_kwargs())
        try:
            yield conn
        finally:
            conn.close()

    def is_missing_table(self, error: Exception) -> bool:
        import psycopg2.errors

        return isinstance(error, (psycopg2.errors.UndefinedTable, psycopg2.errors.InvalidSchemaName))

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], Rows]:
        with self.session() as query:
            return query(sql, params)

    def query_frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        columns, rows = self.query(sql, params)
        return pd.DataFrame([list(row) for row in rows], columns=columns)

    def write_parquet(self, sql: str, params: Sequence[Any], path: Path) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), list(params))
            rows = cursor.fetchall()  # Python rows, as psycopg2 gives them (not benchmarked at scale)
            columns = [(d.name, _postgres_arrow_type(d)) for d in cursor.description]
        names = [name for name, _ in columns]
        arrays = [pa.array([row[i] for row in rows]) for i in range(len(columns))]  # as Arrow infers them
        arrays = [array.cast(kind) if kind else array for array, (_, kind) in zip(arrays, columns, strict=True)]
        table = pa.Table.from_arrays(arrays, names=names)
        pq.write_table(table, path, compression="zstd")
        return table.num_rows

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[Query]:
        with self.connect() as conn, conn.cursor() as cursor:
            if read_only:
                conn.set_session(readonly=True)

            def query(sql: str, params: Sequence[Any] = ()) -> tuple[list[str], Rows]:
                cursor.execute(sql.replace("?", "%s"), list(params))
                columns = [d[0] for d in cursor.description or []]
                return columns, list(cursor.fetchall()) if cursor.description else []

            yield query

    def run_statements(self, statements: Sequence[str]) -> None:
        with self.connect() as conn, conn, conn.cursor() as cursor:  # `with conn`: one transaction
            for statement in statements:
                cursor.execute(statement)

    def ensure_raw_tables(self) -> None:
        with self.connect() as conn, conn, conn.cursor() as cursor:
            cursor.execute(f"create schema if not exists {SCHEMA}")
            cursor.execute(f"create table if not exists {LOAD_LOG_TABLE} ({LOAD_LOG_COLUMNS})")
            for table in raw_tables():
                cursor.execute(table.create_sql())

    def loaded_blobs(self, day: dt.date) -> dict[tuple[str, str], set[tuple[str, str]]]:
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute(LOADED_BLOBS_SQL.format("%s"), [day])
            return loaded_blobs_by_entity(list(cursor.fetchall()))

    def staging_area(self) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        return in_memory_staging()  # DuckDB reads the files, PostgreSQL gets CSV

    def replace_partitions(
        self, staged: duckdb.DuckDBPyConnection, day: dt.date, tables: dict[str, RawTable], log: str
    ) -> None:
        entities = ", ".join(
            f"'{d}.{e}'" for d, e in staged.execute(f"select distinct domain, entity from {log}").fetchall()
        )
        # `with conn` is one transaction: committed on success, rolled back on any error.
        with tempfile.TemporaryDirectory(prefix="retail-factory-copy-") as tmp, self.connect() as conn, conn:
            cursor = conn.cursor()
            if entities:
                cursor.execute(DELETE_LOG_SQL.format(day="%s", entities=entities), [day])
            self._copy(staged, cursor, f"select * from {log}", LOAD_LOG_TABLE, "", Path(tmp) / "log.csv")
            for temp, table in tables.items():
                columns = ", ".join(quote_identifier(c) for c in table.all_columns)
                cursor.execute(f"delete from {table.qualified_name} where _ingest_date = %s", [day])
                self._copy(
                    staged,
                    cursor,
                    f"select {columns} from {temp}",
                    table.qualified_name,
                    f"({columns})",
                    Path(tmp) / f"{table.name}.csv",
                )

    def replace_rows(self, tables: dict[str, OutputTable], key_column: str, key: Any) -> None:
        # DuckDB reads the parts and hands PostgreSQL a CSV file of each table.
        with (
            tempfile.TemporaryDirectory(prefix="retail-factory-copy-") as tmp,
            in_memory_staging() as staged,
            self.connect() as conn,
            conn,  # one transaction: committed on success, rolled back on any error
            conn.cursor() as cursor,
        ):
            for name, table in tables.items():
                cursor.execute(f"create schema if not exists {name.split('.')[0]}")
                for statement in table.create_sql(name):
                    cursor.execute(statement)
                cursor.execute(f"delete from {name} where {key_column} = %s", [key])
                columns = ", ".join(table.columns)
                staged.read_parquet([str(p) for p in table.parts]).create_view("incoming_rows", replace=True)
                self._copy(staged, cursor, f"select {columns} from incoming_rows", name, f"({columns})",
                           Path(tmp) / f"{name}.csv")  # fmt: skip

    @staticmethod
    def _copy(
        staged: duckdb.DuckDBPyConnection, cursor: Any, select: str, target: str, columns: str, path: Path
    ) -> None:
        """Rows of a DuckDB query into a PostgreSQL table, through a CSV file and COPY."""
        staged.execute(f"copy ({select}) to '{path}' (header, delimiter ',')")
        with path.open("rb") as data:
            cursor.copy_expert(f"copy {target} {columns} from stdin with (format csv, header true)", data)


def get_warehouse(settings: Settings | None = None) -> Warehouse:
    """The warehouse the settings name."""
    s = settings or get_settings()
    if s.warehouse == "postgres":
        return PostgresWarehouse(get_postgres_settings())
    if s.warehouse == "spark":
        from retail_factory.warehouse.spark_warehouse import SparkWarehouse

        return SparkWarehouse(s)
    return DuckDBWarehouse(s.duckdb_path)
