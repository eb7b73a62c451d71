"""Shared fixtures: a real Azurite, a throw-away Airflow home with SQLite, small simulated chains.

Airflow reads its settings when first imported, so the environment is set here, before any test
module imports it. Every server a test needs is started by a fixture and stopped after.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="retail-factory-tests-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ.pop("AIRFLOW_CONN_WASB_DEFAULT", None)
# The warehouse and dbt's compiled files of the session live beside it, never in the clone.
os.environ["RETAIL_FACTORY_DUCKDB_PATH"] = str(_AIRFLOW_HOME / "warehouse" / "retail.duckdb")
os.environ["RETAIL_FACTORY_DBT_TARGET_DIR"] = str(_AIRFLOW_HOME / "dbt-target")
os.environ["RETAIL_FACTORY_WAREHOUSE"] = "duckdb"

from retail_factory.config import airflow_environment  # noqa: E402

# Set, not defaulted: pytest-xdist's workers inherit the controlling process's environment, and
# each worker's session must have its own Airflow home, metadata database and docs folder.
os.environ.update(airflow_environment())

SIM_START = dt.date(2025, 3, 3)  # a Monday: shops, warehouses and plants all work

# The longest modules, longest first. pytest-xdist (`--dist loadfile`) hands modules out in
# collection order: started first, they run beside the many short ones instead of after them.
LONGEST_MODULES = (
    "tests/e2e/test_stack_ui.py",
    "tests/integration/test_dbt_build.py",
    "tests/dags/test_transform_dag.py",
    "tests/integration/test_spark.py",
    "tests/integration/test_dbt_incremental.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        return LONGEST_MODULES.index(path) if path in LONGEST_MODULES else len(LONGEST_MODULES)

    items.sort(key=rank)  # stable: the order within a module, and of the other modules, is kept


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    import shutil

    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A real Azurite blob service for the whole session, reachable through ``wasb_default``."""
    from retail_factory.devstack import Azurite

    server = Azurite(tmp_path_factory.mktemp("azurite")).start()
    os.environ["AIRFLOW_CONN_WASB_DEFAULT"] = server.airflow_connection()
    yield server
    server.stop()
    os.environ.pop("AIRFLOW_CONN_WASB_DEFAULT", None)


@pytest.fixture
def storage(azurite):
    """The factory's containers, emptied before the test."""
    from azure.storage.blob import BlobServiceClient
    from retail_factory.storage import empty_containers

    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    empty_containers(service)
    return service


@pytest.fixture(scope="session")
def postgres() -> Iterator:
    """A real PostgreSQL server from the machine's binaries, for the whole session."""
    from retail_factory.devstack import PostgresServer

    # Not under pytest's tmp folder: that is private to root, and the server runs as `postgres`.
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="retail-factory-tests-pg-"))).start()
    yield server
    server.stop()
    import shutil

    shutil.rmtree(server.location, ignore_errors=True)


@pytest.fixture
def duckdb_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An empty DuckDB warehouse file for one test, selected through the settings."""
    from retail_factory.warehouse.connections import get_warehouse

    monkeypatch.setenv("RETAIL_FACTORY_WAREHOUSE", "duckdb")
    monkeypatch.setenv("RETAIL_FACTORY_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    return get_warehouse()


@pytest.fixture
def postgres_warehouse(postgres, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    """An empty PostgreSQL database for one test, selected through the settings."""
    from retail_factory.warehouse.connections import get_warehouse

    name = "test_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    postgres.create_database(name)
    monkeypatch.setenv("RETAIL_FACTORY_WAREHOUSE", "postgres")
    for key, value in {**postgres.environment(), "RETAIL_FACTORY_PG_DATABASE": name}.items():
        monkeypatch.setenv(key, value)
    return get_warehouse()


@pytest.fixture(scope="session")
def spark_thrift(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A real Spark Thrift server (pyspark's, local[2]) for the whole session: the spark warehouse."""
    from retail_factory.devstack import SparkThriftServer

    with SparkThriftServer(tmp_path_factory.mktemp("spark-thrift")) as server:
        yield server


@pytest.fixture
def spark_warehouse(spark_thrift, monkeypatch: pytest.MonkeyPatch):
    """The session's Spark warehouse, emptied for one test, selected through the settings."""
    from retail_factory.warehouse.connections import get_warehouse
    from retail_factory.warehouse.fingerprint import SCHEMAS

    monkeypatch.setenv("RETAIL_FACTORY_WAREHOUSE", "spark")
    for key, value in spark_thrift.environment().items():
        monkeypatch.setenv(key, value)
    warehouse = get_warehouse()
    warehouse.run_statements([f"drop database if exists {schema} cascade" for schema in SCHEMAS])
    return warehouse


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest):
    """Each warehouse in turn: a test using it runs on DuckDB and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_warehouse")


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Airflow's metadata database (SQLite) in the session's Airflow home, migrated once."""
    from retail_factory.runner import prepare_airflow

    return prepare_airflow()


@pytest.fixture(scope="module")
def api(airflow_db):
    """Airflow's API server app with the plugins of the repository, and a logged-in client (in process)."""
    import secrets

    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    os.environ["AIRFLOW__API_AUTH__JWT_SECRET"] = secrets.token_urlsafe(64)  # the API server signs tokens with it
    with TestClient(create_app(), follow_redirects=False) as client:
        passwords = json.loads((Path(airflow_db) / "simple_auth_manager_passwords.json.generated").read_text())
        answer = client.post("/auth/token", json={"username": "admin", "password": passwords["admin"]})
        assert answer.status_code == 201, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield client
    os.environ.pop("AIRFLOW__API_AUTH__JWT_SECRET")


def _simulate(out: Path, days: int, faults: float, stores: int = 5, products: int = 60, seed: int = 11) -> Path:
    from retail_factory.sources.simulator import SimulationParams, simulate

    simulate(SimulationParams(stores, products, days, SIM_START, seed, out, faults))
    return out


@pytest.fixture(scope="session")
def clean_chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five stores, sixty products, three days, no faults (read-only: copy before changing files)."""
    return _simulate(tmp_path_factory.mktemp("clean-chain"), days=3, faults=0.0)


@pytest.fixture(scope="session")
def faulty_chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same chain delivered with faults in a third of the files."""
    return _simulate(tmp_path_factory.mktemp("faulty-chain"), days=3, faults=0.35)


@pytest.fixture
def drop_copy(clean_chain: Path, tmp_path: Path) -> Path:
    """A private copy of the clean chain's drop folder, free to change."""
    import shutil

    target = tmp_path / "drop"
    shutil.copytree(clean_chain / "drop", target)
    return target
