"""The `retail-factory` command as a person types it: simulate, run, demo, contracts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from retail_factory.config import get_settings

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "retail_factory.cli"]


def run_cli(*args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or os.environ.copy(),
        stdin=subprocess.DEVNULL,
    )


def test_simulate_then_run_through_airflow(airflow_db, azurite, storage, tmp_path: Path) -> None:
    out = tmp_path / "chain"
    simulated = run_cli(
        "simulate",
        "--stores",
        "3",
        "--products",
        "30",
        "--days",
        "2",
        "--start",
        "2025-03-03",
        "--seed",
        "4",
        "--out",
        str(out),
        "--faults",
        "0.2",
    )
    assert simulated.returncode == 0, simulated.stderr
    assert "Simulated 2 days" in simulated.stdout and (out / "truth" / "faults.jsonl").exists()
    landing = "land_retail,land_supply,land_producer"  # transform runs in the demo test (minutes per date)
    ran = run_cli("run", "--drop", str(out), "--from", "2025-03-03", "--to", "2025-03-04", "--dags", landing)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    lines = [line for line in ran.stdout.splitlines() if line.startswith("2025-03-0")]
    assert len(lines) == 6 and all("success" in line for line in lines)
    assert "6 DAG runs, 0 failed." in ran.stdout
    landed = sum(1 for _ in storage.get_container_client("raw").list_blobs())
    assert landed > 30


def test_run_refuses_a_backward_range_and_a_missing_drop(tmp_path: Path) -> None:
    backward = run_cli("run", "--drop", str(tmp_path), "--from", "2025-03-04", "--to", "2025-03-03")
    assert backward.returncode == 2 and "before" in backward.stderr
    missing = run_cli("run", "--drop", str(tmp_path / "nowhere"), "--from", "2025-03-03", "--to", "2025-03-03")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    bad_date = run_cli("run", "--drop", str(tmp_path), "--from", "03/03/2025", "--to", "2025-03-03")
    assert bad_date.returncode == 2 and "not a date" in bad_date.stderr


def test_one_setting_puts_a_command_on_the_spark_warehouse(tmp_path: Path) -> None:
    """RETAIL_FACTORY_WAREHOUSE=spark and nothing else: the command starts a local Spark Thrift
    server for itself, works on it (its tables under RETAIL_FACTORY_SPARK_DIR) and stops it."""
    from retail_factory.devstack import free_port, listening

    port = free_port()
    env = os.environ | {"RETAIL_FACTORY_WAREHOUSE": "spark", "RETAIL_FACTORY_SPARK_PORT": str(port),
                        "RETAIL_FACTORY_SPARK_DIR": str(tmp_path / "spark")}  # fmt: skip
    created = run_cli("sql", "create database if not exists raw", env=env)
    assert created.returncode == 0, created.stderr
    assert f"Started a Spark Thrift server on 127.0.0.1:{port}" in created.stderr
    assert (tmp_path / "spark" / "tables" / "raw.db").is_dir()  # kept for the next command's server
    assert not listening(port)  # stopped with the command


def test_contracts_command_prints_the_contracts_doc() -> None:
    printed = run_cli("contracts", "--markdown")
    assert printed.returncode == 0
    assert printed.stdout == (get_settings().home / "docs" / "contracts.md").read_text(encoding="utf-8")


def test_nutriscore_reads_json_lines_and_writes_one_line_each() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    example = next(line for line in readme.splitlines() if line.startswith("echo '{") and "nutriscore" in line)
    product = example.split("'")[1]  # the README's own example, as a person would paste it
    lines = "\n".join([product, "{not json", json.dumps({"code": "w", "is_beverage": True, "is_water": True}),
                       json.dumps({"code": "x", "energy-kj_100g": 100, "sugars_100g": -2})])  # fmt: skip
    done = subprocess.run([*CLI, "nutriscore"], input=lines, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1  # one line was not JSON
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4]
    first = out[0]
    assert first["gtin"] == "3017620422003" and first["nutriscore_grade"] == "e" and first["nutriscore_score"] == 31
    assert first["sugars_points"] == 15 and first["proteins_points"] == 2 and first["proteins_counted"] is False
    assert "not a JSON object" in out[1]["problems"][0]
    assert (out[2]["code"], out[2]["nutriscore_grade"]) == ("w", "a")
    assert (
        out[3]["nutriscore_grade"] == "unknown"
        and "sugars_100g is -2: a content cannot be negative" in out[3]["problems"]
    )
    thresholds = subprocess.run([*CLI, "nutriscore", "--thresholds"], capture_output=True, text=True, timeout=120)
    assert thresholds.stdout.splitlines()[0] == "scale,component,points,threshold,comparison"
