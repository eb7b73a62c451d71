"""A SQLAlchemy dialect that lets Great Expectations' SQL data source read a DuckDB file.

GX 1.x validates SQL tables through SQLAlchemy, and DuckDB's dialect (duckdb-engine 0.17) breaks it
in two places, both checked against GX 1.24, SQLAlchemy 2.1 and DuckDB 2.0:

* GX returns a query's result from inside ``with engine.connect()`` and reads the rows after the
  connection went back to the pool. DuckDB cursors share their connection, whose rollback on
  release empties the pending result: every metric came back empty (``list index out of range``).
  Here results are fully buffered as soon as the statement has run.
* Column reflection goes through PostgreSQL's ``pg_catalog`` queries, which need catalog tables
  DuckDB lacks under SQLAlchemy 2.1 (``pg_collation``); GX then falls back to a query that drops
  the schema name. Here columns come from ``information_schema``, which DuckDB has.

Nothing else changes: the SQL GX writes for PostgreSQL runs on DuckDB. The dialect is registered
as ``duckdb+retail_factory`` (see :func:`register`); its URL is ``duckdb+retail_factory:///<path>``.
"""

from __future__ import annotations

from typing import Any

import duckdb_engine
import sqlalchemy as sa
from sqlalchemy.dialects import registry
from sqlalchemy.engine.cursor import FullyBufferedCursorFetchStrategy

DRIVER = "duckdb.retail_factory"
URL_SCHEME = "duckdb+retail_factory"

# information_schema.columns.data_type (upper-cased, without parameters) -> SQLAlchemy type.
_TYPES: dict[str, type[sa.types.TypeEngine]] = {
    "VARCHAR": sa.String,
    "BOOLEAN": sa.Boolean,
    "TINYINT": sa.SmallInteger,
    "SMALLINT": sa.SmallInteger,
    "INTEGER": sa.Integer,
    "BIGINT": sa.BigInteger,
    "HUGEINT": sa.Numeric,
    "DECIMAL": sa.Numeric,
    "FLOAT": sa.Float,
    "DOUBLE": sa.Float,
    "DATE": sa.Date,
    "TIMESTAMP": sa.DateTime,
    "TIMESTAMP WITH TIME ZONE": sa.DateTime,
}


class _BufferedExecutionContext(duckdb_engine.Dialect.execution_ctx_cls):  # type: ignore[name-defined]
    def post_exec(self) -> None:
        super().post_exec()
        description = self.cursor.description
        if description:
            rows = self.cursor.fetchall()
            self.cursor_fetch_strategy = FullyBufferedCursorFetchStrategy(self.cursor, description, rows)


class RetailFactoryDuckDBDialect(duckdb_engine.Dialect):
    """duckdb-engine with buffered results and information_schema reflection (see the module doc)."""

    execution_ctx_cls = _BufferedExecutionContext
    supports_statement_cache = False

    def get_columns(self, connection: Any, table_name: str, schema: str | None = None, **kw: Any) -> list[dict]:
        rows = connection.execute(
            sa.text(
                "select column_name, data_type, is_nullable from information_schema.columns "
                "where table_schema = coalesce(:schema, current_schema()) and table_name = :table "
                "order by ordinal_position"
            ),
            {"schema": schema, "table": table_name},
        ).fetchall()
        if not rows:
            raise sa.exc.NoSuchTableError(f"{schema}.{table_name}" if schema else table_name)
        return [
            {"name": name, "type": _sql_type(data_type), "nullable": nullable == "YES", "default": None}
            for name, data_type, nullable in rows
        ]

    def get_pk_constraint(self, connection: Any, table_name: str, schema: str | None = None, **kw: Any) -> dict:
        return {"constrained_columns": [], "name": None}  # warehouse tables declare no keys


def _sql_type(data_type: str) -> sa.types.TypeEngine:
    return _TYPES.get(data_type.split("(")[0].upper(), sa.types.NullType)()


def register() -> None:
    """Make ``duckdb+retail_factory://`` URLs resolve to this dialect (idempotent)."""
    registry.register(DRIVER, __name__, RetailFactoryDuckDBDialect.__name__)


def duckdb_url(path: str) -> str:
    return f"{URL_SCHEME}:///{path}"
