"""The embedded local stack: Azurite (the Azure Storage emulator) on 127.0.0.1, on a free port.

Used by ``make demo`` (through ``retail-factory demo``) and by the test fixtures. Nothing here is
needed on real Azure: there the Airflow connection points at the storage account instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from retail_factory.config import get_settings

log = logging.getLogger(__name__)

# Azurite's published development account (documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_until_listening(
    process: subprocess.Popen, port: int, timeout: float, name: str, log_file: Path, interval: float
) -> None:
    """Wait for a server this process started to listen on ``port``; if it exits or never listens,
    say so with where its log is (and end it)."""
    deadline = time.monotonic() + timeout
    while not listening(port):
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start; see {log_file}")
        if time.monotonic() > deadline:
            _end_process_group(process, timeout=10)
            raise TimeoutError(f"{name} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")
        time.sleep(interval)


def _end_process_group(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM to a server's process group (a JVM or Node starts children), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@dataclass
class Azurite:
    """A running Azurite blob service; ``stop()`` then ``start()`` restarts it on the same port and data."""

    location: Path
    port: int = field(default_factory=free_port)
    executable: Path = field(default_factory=lambda: get_settings().azurite_executable)
    process: subprocess.Popen | None = None

    @property
    def blob_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint={self.blob_endpoint};"
        )

    def airflow_connection(self) -> str:
        """``AIRFLOW_CONN_WASB_DEFAULT`` for this Azurite.

        The extra's retry settings go to the SDK client: one quick retry, since the service is local
        and Airflow's task retries (with back-off) take over from there.
        """
        extra = {
            "connection_string": self.connection_string,
            "retry_total": 1,
            "initial_backoff": 1,
            "increment_base": 1,
            "random_jitter_range": 0,
        }
        return json.dumps({"conn_type": "wasb", "extra": extra})

    def start(self, timeout: float = 30.0) -> Azurite:
        if not self.executable.exists():
            raise FileNotFoundError(
                f"Azurite is not installed at {self.executable}. Run `npm ci` (or `make install`) first."
            )
        self.location.mkdir(parents=True, exist_ok=True)
        command = [
            str(self.executable),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(self.port),
            "--location",
            str(self.location),
            "--silent",
            "--skipApiVersionCheck",
            "--loose",
            "--disableTelemetry",
        ]
        log_file = (self.location / "azurite.log").open("ab")
        self.process = subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_until_listening(self.process, self.port, timeout, "Azurite", self.location / "azurite.log", 0.1)
        log.info("Azurite blob service on %s (data in %s)", self.blob_endpoint, self.location)
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        _end_process_group(self.process, timeout=10)
        self.process = None
        deadline = time.monotonic() + 10
        while listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)

    def __enter__(self) -> Azurite:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


POSTGRES_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")


def postgres_bin_dir() -> Path:
    """Where the machine's PostgreSQL server programs are (``RETAIL_FACTORY_PG_BIN`` to choose)."""
    if os.environ.get("RETAIL_FACTORY_PG_BIN"):
        return Path(os.environ["RETAIL_FACTORY_PG_BIN"])
    for candidate in POSTGRES_BIN_DIRS:
        if (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise FileNotFoundError(
        "no PostgreSQL server programs found (looked in " + ", ".join(POSTGRES_BIN_DIRS) + "); install Debian's "
        "postgresql-15 package or set RETAIL_FACTORY_PG_BIN to the folder holding initdb and pg_ctl"
    )


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL server from the machine's binaries, on 127.0.0.1 and a free port.

    pytest-postgresql cannot drive it here: PostgreSQL refuses to run as root, which is what CI
    runs as, so when we are root the server runs as the ``postgres`` system user (``runuser``).
    Authentication is ``trust`` on loopback only: a local test server, never a real one.
    """

    location: Path
    port: int = field(default_factory=free_port)
    user: str = "retail_factory"
    database: str = "retail_factory"

    def _run(self, *args: str) -> None:
        command = [str(postgres_bin_dir() / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)

    @property
    def data_dir(self) -> Path:
        return self.location / "data"

    def start(self) -> PostgresServer:
        self.location.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self.location.chmod(0o777)  # the postgres user creates its data folder here (keep parents traversable)
        if not self.data_dir.exists():
            self._run("initdb", "-D", str(self.data_dir), "-U", self.user, "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -k {self.location} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", str(self.location / "server.log"), "-w", "start"
        )
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, self.database)
        log.info("PostgreSQL on 127.0.0.1:%d (data in %s)", self.port, self.data_dir)
        return self

    def create_database(self, name: str) -> None:
        """A new, empty database (dropped first if it exists)."""
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname=self.database)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(f'drop database if exists "{name}"')
                cursor.execute(f'create database "{name}"')
        finally:
            conn.close()

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def environment(self) -> dict[str, str]:
        """The settings that point the factory (and dbt's profile) at this server."""
        return {
            "RETAIL_FACTORY_PG_HOST": "127.0.0.1",
            "RETAIL_FACTORY_PG_PORT": str(self.port),
            "RETAIL_FACTORY_PG_USER": self.user,
            "RETAIL_FACTORY_PG_PASSWORD": "",
            "RETAIL_FACTORY_PG_DATABASE": self.database,
        }

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class SparkThriftServer:
    """pyspark's own Spark Thrift server (``HiveThriftServer2``) on 127.0.0.1: the spark warehouse.

    Its tables and their catalog (Derby) are under ``location``, with the factory's Spark settings
    (``warehouse.spark.spark_conf``). It takes ~15 s to start: a JVM and Spark.
    """

    location: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def log_file(self) -> Path:
        return self.location / "thrift-server.log"

    def environment(self) -> dict[str, str]:
        """The settings that point the factory (and dbt's spark profile) at this server."""
        return {
            "RETAIL_FACTORY_SPARK_DIR": str(self.location),
            "RETAIL_FACTORY_SPARK_HOST": "127.0.0.1",
            "RETAIL_FACTORY_SPARK_PORT": str(self.port),
        }

    def start(self, timeout: float = 180.0) -> SparkThriftServer:
        import dataclasses

        import pyspark

        from retail_factory.warehouse.spark import spark_conf

        self.location.mkdir(parents=True, exist_ok=True)
        home = Path(pyspark.__file__).parent
        conf = spark_conf(dataclasses.replace(get_settings(), spark_dir=self.location))
        server_class = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
        command = [str(home / "bin" / "spark-submit"), "--class", server_class]
        for key, value in conf.items():
            command += ["--conf", f"{key}={value}"]
        command += ["--hiveconf", f"hive.server2.thrift.port={self.port}",
                    "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1", "spark-internal"]  # fmt: skip
        with self.log_file.open("ab") as log_out:
            self.process = subprocess.Popen(
                command, stdout=log_out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                cwd=self.location, env={**os.environ, "SPARK_HOME": str(home)},
            )  # fmt: skip
        _wait_until_listening(self.process, self.port, timeout, "The Spark Thrift server", self.log_file, 0.5)
        log.info("Spark Thrift server on 127.0.0.1:%d (tables in %s)", self.port, self.location)
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        _end_process_group(self.process, timeout=30)
        self.process = None

    def __enter__(self) -> SparkThriftServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def local_spark_warehouse() -> Iterator[SparkThriftServer | None]:
    """The spark warehouse's Thrift server for one command, when the settings name a local one that
    is not running: started on ``RETAIL_FACTORY_SPARK_PORT`` over ``RETAIL_FACTORY_SPARK_DIR``, stopped
    at the end. A server already listening, or on another host, is the deployment's own: left alone."""
    settings = get_settings()
    local = settings.spark_host in ("127.0.0.1", "localhost")
    if settings.warehouse != "spark" or not local or listening(settings.spark_port):
        yield None
        return
    with SparkThriftServer(settings.spark_dir.resolve(), port=settings.spark_port) as server:
        yield server
