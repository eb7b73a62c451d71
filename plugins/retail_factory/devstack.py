"""The embedded local stack: Azurite (the Azure Storage emulator) on 127.0.0.1, on a free port.

Used by ``make demo`` (through ``retail-factory demo``) and by the test fixtures. Nothing here is
needed on real Azure: there the Airflow connection points at the storage account instead.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import time
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


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


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
        deadline = time.monotonic() + timeout
        while not _listening(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"Azurite exited at start; see {self.location / 'azurite.log'}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"Azurite did not listen on 127.0.0.1:{self.port} within {timeout:.0f} s")
            time.sleep(0.1)
        log.info("Azurite blob service on %s (data in %s)", self.blob_endpoint, self.location)
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None
        deadline = time.monotonic() + 10
        while _listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)

    def __enter__(self) -> Azurite:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
