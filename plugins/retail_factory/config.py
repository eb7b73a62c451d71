"""Settings of the Retail Data Factory, read from the environment in one place.

Every path, port and connection id has a default that works in a clone of the repository;
set ``RETAIL_FACTORY_<NAME>`` to change it. Credentials never live here: storage is reached
through the Airflow connection named by ``RETAIL_FACTORY_WASB_CONN_ID``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "RETAIL_FACTORY_"

DOMAINS = ("retail", "supply", "producer")
CONTAINERS = ("raw", "quarantine", "curated", "reports")
WAREHOUSE_POOL = "warehouse"  # the Airflow pool of every task that opens the warehouse (runner.POOLS)


def _env(name: str, default: str) -> str:
    return os.environ.get(ENV_PREFIX + name, default)


@dataclass(frozen=True)
class Settings:
    """Where things are and how to reach them; build it with :func:`get_settings`."""

    home: Path
    drop_dir: Path
    wasb_conn_id: str
    timezone: str
    landing_workers: int
    airflow_home: Path
    node_bin: Path
    demo_dir: Path
    warehouse: str  # "duckdb" (default, one file), "postgres" or "spark" (a Spark Thrift server)
    duckdb_path: Path
    dbt_project_dir: Path
    dbt_target_dir: Path
    expectations_dir: Path  # the GX file data context (suites, validation definitions, checkpoints)
    spark_dir: Path  # the spark dbt target's tables and metastore (warehouse/spark.py)
    spark_master: str = "local[2]"
    spark_shuffle_partitions: int = 4  # Spark's 200 would be 200 tiny tasks a join on a small day
    spark_driver_memory: str = "1g"  # the heap of a local Spark's one JVM (Spark's own default); more at scale
    spark_host: str = "127.0.0.1"  # the Spark Thrift server of the spark warehouse (warehouse/spark_warehouse.py)
    spark_port: int = 10000
    forecast_engine: str = "local"  # where the per-series models run: "local" or "spark" (forecasting/engine.py)
    service_level: float = 0.975  # the share of replenishment cycles the order proposals aim to cover
    raw_container: str = "raw"
    quarantine_container: str = "quarantine"
    curated_container: str = "curated"
    reports_container: str = "reports"

    @property
    def dags_folder(self) -> Path:
        return self.home / "dags"

    @property
    def plugins_folder(self) -> Path:
        return self.home / "plugins"

    @property
    def dbt_docs_dir(self) -> Path:
        return self.duckdb_path.parent / "dbt-docs"

    @property
    def azurite_executable(self) -> Path:
        return self.node_bin / "azurite-blob"


def get_settings() -> Settings:
    """Read the settings from the environment now (not cached, so tests can change them)."""
    home = Path(_env("HOME", str(PROJECT_ROOT)))
    demo_dir = Path(_env("DEMO_DIR", str(home / ".demo")))
    duckdb_path = Path(_env("DUCKDB_PATH", str(home / ".warehouse" / "retail.duckdb")))
    return Settings(
        home=home,
        # Where the demo simulates its chain: a stack started by `make up` lands the demo's files.
        drop_dir=Path(_env("DROP_DIR", str(demo_dir / "sim" / "drop"))),
        wasb_conn_id=_env("WASB_CONN_ID", "wasb_default"),
        timezone=_env("TIMEZONE", "Europe/Paris"),
        landing_workers=int(_env("LANDING_WORKERS", "4")),
        airflow_home=Path(os.environ.get("AIRFLOW_HOME", str(home / ".airflow"))),
        node_bin=Path(_env("NODE_BIN", str(home / "node_modules" / ".bin"))),
        demo_dir=demo_dir,
        warehouse=_one_of("WAREHOUSE", WAREHOUSES, "duckdb"),
        duckdb_path=duckdb_path,
        dbt_project_dir=Path(_env("DBT_PROJECT_DIR", str(home / "dbt_project"))),
        dbt_target_dir=Path(_env("DBT_TARGET_DIR", str(home / ".warehouse" / "dbt-target"))),
        expectations_dir=Path(_env("EXPECTATIONS_DIR", str(home / "expectations"))),
        spark_dir=Path(_env("SPARK_DIR", str(duckdb_path.parent / "spark"))),  # beside the DuckDB file
        spark_master=_env("SPARK_MASTER", "local[2]"),
        spark_shuffle_partitions=int(_env("SPARK_SHUFFLE_PARTITIONS", "4")),
        spark_driver_memory=_env("SPARK_DRIVER_MEMORY", "1g"),
        spark_host=_env("SPARK_HOST", "127.0.0.1"),
        spark_port=int(_env("SPARK_PORT", "10000")),
        forecast_engine=_one_of("FORECAST_ENGINE", FORECAST_ENGINES, "local"),
        service_level=_service_level(_env("SERVICE_LEVEL", "0.975")),
    )


WAREHOUSES = ("duckdb", "postgres", "spark")
FORECAST_ENGINES = ("local", "spark")


def _service_level(value: str) -> float:
    try:
        level = float(value)
    except ValueError:
        level = -1.0
    if not 0.5 <= level < 1.0:
        raise ValueError(f"{ENV_PREFIX}SERVICE_LEVEL is {value!r}; it must be a share between 0.5 and 1 (e.g. 0.975)")
    return level


def _one_of(name: str, choices: tuple[str, ...], default: str) -> str:
    value = _env(name, default)
    if value not in choices:
        raise ValueError(f"{ENV_PREFIX}{name} is {value!r}; it must be one of {', '.join(choices)}")
    return value


@dataclass(frozen=True)
class PostgresSettings:
    """The PostgreSQL warehouse, from the environment (the same variables dbt's profile reads)."""

    host: str
    port: int
    user: str
    password: str
    database: str

    def connect_kwargs(self) -> dict[str, object]:
        """Keyword arguments for psycopg2.connect (a conninfo string would need quoting rules)."""
        kwargs: dict[str, object] = {"host": self.host, "port": self.port, "user": self.user, "dbname": self.database}
        if self.password:
            kwargs["password"] = self.password
        return kwargs


def get_postgres_settings() -> PostgresSettings:
    return PostgresSettings(
        host=_env("PG_HOST", "127.0.0.1"),
        port=int(_env("PG_PORT", "5432")),
        user=_env("PG_USER", "retail_factory"),
        password=_env("PG_PASSWORD", ""),
        database=_env("PG_DATABASE", "retail_factory"),
    )


# Usage statistics of every tool the project sets up stay off (Airflow, Cosmos, dbt, GX).
TELEMETRY_OFF = {
    "DO_NOT_TRACK": "1",
    "SCARF_ANALYTICS": "false",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "GX_ANALYTICS_ENABLED": "False",
}


# SQLite takes one writer at a time: the scheduler, DAG processor and triggerer wait for it (up to a
# minute) rather than fail at once with "database is locked" (Python's default: 5 s).
# The API server waits 10 s at most. Airflow 3.3 writes its audit log (``action_logging``, on every
# trigger, pause or backfill request) from an async dependency, on the server's event loop: when a
# task's API call holds the write lock until its own request ends, which takes that same loop, the two
# wait for each other until the timeout. With 60 s the whole stack froze for a minute (every
# heartbeat, the DAG processor killed as timed out, its DAGs marked stale: a trigger then got 404);
# with 10 s the audited request fails with a 500 "Database error" that the client sends again
# (stack.AirflowApi.call). On PostgreSQL (production) the audit insert does not wait for that lock.
API_SERVER_SQLITE_TIMEOUT = 10
SQLITE_CONNECT_ARGS = {"timeout": API_SERVER_SQLITE_TIMEOUT if sys.argv[1:2] == ["api-server"] else 60}


def airflow_environment(settings: Settings | None = None) -> dict[str, str]:
    """Environment for a local, embedded Airflow: SQLite, no examples, small parallelism."""
    s = settings or get_settings()
    return {
        "AIRFLOW_HOME": str(s.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(s.dags_folder),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(s.plugins_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # LocalExecutor forks this many workers (32 by default). A task spends ~0.7 s running and ~3 s
        # being started and collected, mostly waiting: with 4 the two cores here sat 40 % idle and
        # transform's ~100 watcher tasks took 103 s; with 8, 58-64 s (16: no better). docs/runbook.md
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "8",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": s.timezone,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{s.airflow_home / 'airflow.db'}",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "retail_factory.config.SQLITE_CONNECT_ARGS",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        # Every DAG file was parsed again every 30 s (Airflow's default): the idle stack's DAG
        # processor took 14.0 CPU-s in two minutes, most of the idle stack's 22.3. A file changed
        # on disk is still parsed at once (file_parsing_sort_mode "modified_time"); what a DAG reads
        # besides its file (transform: the dbt manifest) shows within this interval.
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "300",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # Cosmos' plugin shows the dbt docs the transform DAG publishes (warehouse/docs.py).
        "AIRFLOW__COSMOS__DBT_DOCS_PROJECTS": json.dumps(
            {"retail_factory": {"dir": str(s.dbt_docs_dir), "index": "index.html", "name": "Retail Factory dbt docs"}}
        ),
        # Cosmos' partial-parse cache, one per Airflow home rather than one /tmp/cosmos for all.
        "AIRFLOW__COSMOS__CACHE_DIR": str(s.airflow_home / "cosmos-cache"),
        # On by default, it rewrites the producer's whole XCom backup Variable at each dbt event
        # (quadratic in nodes: 107 s instead of 69 s for our ~460); Cosmos still saves the backup
        # when the producer fails.
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        **TELEMETRY_OFF,
    }


def apply_airflow_environment(settings: Settings | None = None) -> dict[str, str]:
    """Set the local Airflow defaults in ``os.environ`` where the user has not set them."""
    env = airflow_environment(settings)
    for key, value in env.items():
        os.environ.setdefault(key, value)
    return {key: os.environ[key] for key in env}
