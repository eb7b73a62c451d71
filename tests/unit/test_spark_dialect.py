"""The SQLAlchemy dialect GX reads the spark warehouse through: compiled SQL and engine creation
(no server needed: an engine connects on first use)."""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from retail_factory.quality import spark_dialect


def _engine() -> sa.Engine:
    spark_dialect.register()
    return sa.create_engine(spark_dialect.spark_url("127.0.0.1", 10000))


def test_an_engine_is_created_without_a_deprecation_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SQLAlchemy 2 warns when a dialect only has PyHive's dbapi()
        engine = _engine()
    assert isinstance(engine.dialect, spark_dialect.RetailFactorySparkDialect)
    assert engine.dialect.dbapi.__name__ == "pyhive.hive"


def test_distinct_keeps_its_column_name_so_spark_can_order_by_it() -> None:
    """GX lists a table's days with `select distinct(day) … order by day`: Spark orders only by a
    name of the select list, so `distinct(day)` must be labelled `day`."""
    day = sa.column("_ingest_date")
    query = sa.select(sa.func.distinct(day)).select_from(sa.table("retail__pos", schema="raw")).order_by(day)
    sql = " ".join(str(query.compile(dialect=_engine().dialect)).split())
    assert "distinct(`_ingest_date`) AS `_ingest_date`" in sql
    assert sql.endswith("ORDER BY `_ingest_date`")
