"""The factory's Spark settings and an in-process Spark session (pyspark, ``local[2]`` here).

One set of settings (:func:`spark_conf`) serves every Spark the factory starts: the Thrift server
that is the spark warehouse (``devstack.SparkThriftServer``), dbt's ``spark_session`` target
(Spark inside dbt's process; :func:`dbt_env` passes the settings in ``RETAIL_FACTORY_SPARK_CONF``)
and the Spark forecasting engine (:func:`spark_session`, without the catalog). Tables are Parquet
files under ``RETAIL_FACTORY_SPARK_DIR``, their catalog an embedded Hive metastore (Derby) beside
them, which one process at a time may open, as DuckDB's file. On Databricks or Synapse the dbt
project is the same and only the profile's method changes (http, odbc).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from retail_factory.config import ENV_PREFIX, Settings, get_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def spark_conf(settings: Settings | None = None) -> dict[str, str]:
    """The Spark settings of the factory's session (dbt's and this process's)."""
    s = settings or get_settings()
    folder = s.spark_dir.resolve()
    return {
        "spark.master": s.spark_master,
        "spark.sql.warehouse.dir": str(folder / "tables"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={folder / 'metastore'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder}",  # derby.log there, not in the cwd
        # Timestamps are UTC wall-clock times, as in DuckDB and PostgreSQL (macros/spark.sql).
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(s.spark_shuffle_partitions),
        # In local mode the driver's JVM does all the work: its heap is the session's memory.
        "spark.driver.memory": s.spark_driver_memory,
        # The metastore (Hive's) cannot filter partitions on a column named with a leading "_"
        # (raw's `_ingest_date`): Spark lists the table's partitions and prunes them itself.
        "spark.sql.hive.metastorePartitionPruning": "false",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.log.level": "WARN",  # a server's INFO lines: ~35 per query
    }


def dbt_spark_env(settings: Settings | None = None) -> dict[str, str]:
    """What dbt's ``spark`` profile reads: the session's settings, as JSON."""
    return {ENV_PREFIX + "SPARK_CONF": json.dumps(spark_conf(settings))}


@contextmanager
def spark_session(catalog: bool = True) -> Iterator[SparkSession]:
    """The factory's Spark session in this process, stopped at the end (the metastore is then free).

    ``catalog=False``: without the metastore (tables by path only), for work that keeps no table
    (the forecasting engine), so that it never waits for the metastore dbt may hold.
    """
    from pyspark.sql import SparkSession

    # Spark's Python workers (forecasting/engine.py) need this venv's packages; pyspark reads only
    # the environment for their interpreter (else the first "python3" on the PATH).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("retail-factory")
    if catalog:
        builder = builder.enableHiveSupport()
    for key, value in spark_conf().items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
        _end_jvm()


def _end_jvm() -> None:
    """End pyspark's JVM: Derby keeps the metastore open until that process exits, and dbt's own
    session (another process) could not open it. The next session here starts a new JVM."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    if gateway is None:
        return
    gateway.shutdown()
    if gateway.proc is not None:  # the JVM exits when its stdin closes (pyspark's java_gateway)
        gateway.proc.stdin.close()
        gateway.proc.wait(timeout=60)
    SparkContext._gateway = None
    SparkContext._jvm = None
