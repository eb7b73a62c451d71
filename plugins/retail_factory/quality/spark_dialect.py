"""A SQLAlchemy dialect that lets Great Expectations' SQL data source read the spark warehouse.

GX 1.x reads SQL tables through SQLAlchemy; for a Spark Thrift server that is PyHive's ``hive``
dialect, with two changes, checked against GX 1.24, SQLAlchemy 2.1 and Spark 4.3:

* To list a table's days (the column-value partitioner of the daily gates) GX asks
  ``select distinct(day) as distinct_1 … order by day``, which Spark refuses: after ``distinct``
  only the select list's names can be ordered by. Here ``distinct(…)`` keeps its column's own name.
* Each connection gets the factory's Spark session settings (``warehouse.spark_warehouse``), so
  the checks' SQL reads on Spark as it does on DuckDB and PostgreSQL.

Registered as ``hive+retail_factory`` (see :func:`register`); its URL is
``hive+retail_factory://retail_factory@<host>:<port>/default``.
"""

from __future__ import annotations

from typing import Any

from pyhive.sqlalchemy_hive import HiveCompiler, HiveDialect
from sqlalchemy.dialects import registry
from sqlalchemy.sql import functions

DRIVER = "hive.retail_factory"
URL_SCHEME = "hive+retail_factory"


class _SparkCompiler(HiveCompiler):
    def _label_select_column(self, select: Any, column: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(column, functions.Function) and column.name.lower() == "distinct" and len(column.clauses) == 1:
            # `distinct(day) as day`: the name `order by day` finds.
            (inner,) = column.clauses
            if getattr(inner, "name", None):
                column = column.label(inner.name)
        return super()._label_select_column(select, column, *args, **kwargs)


class RetailFactorySparkDialect(HiveDialect):
    """PyHive's Hive dialect with the two changes of the module doc."""

    statement_compiler = _SparkCompiler
    supports_statement_cache = False

    @classmethod
    def import_dbapi(cls) -> Any:
        # PyHive's own: SQLAlchemy 2 looks for it on the dialect class itself, not on its bases, and
        # warns about the older `dbapi()` it finds inherited instead.
        return super().import_dbapi()

    def create_connect_args(self, url: Any) -> tuple[list[Any], dict[str, Any]]:
        from retail_factory.warehouse.spark_warehouse import SESSION_CONF

        args, kwargs = super().create_connect_args(url)
        kwargs["configuration"] = {**SESSION_CONF, **kwargs.get("configuration", {})}
        return args, kwargs


def register() -> None:
    """Make ``hive+retail_factory://`` URLs resolve to this dialect (idempotent)."""
    registry.register(DRIVER, __name__, RetailFactorySparkDialect.__name__)


def spark_url(host: str, port: int) -> str:
    return f"{URL_SCHEME}://retail_factory@{host}:{port}/default"
