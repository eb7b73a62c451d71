"""The dbt project as Airflow sees it: Cosmos configuration, the manifest, the docs.

Cosmos renders the project from a manifest compiled ahead (``LoadMode.DBT_MANIFEST``), so parsing
the transform DAG runs no dbt command; :func:`ensure_manifest` compiles it (``dbt parse``) when the
project changed. dbt gets its profile from ``dbt_project/profiles.yml`` and the environment
(``RETAIL_FACTORY_*``): credentials never appear in the DAG.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retail_factory.config import TELEMETRY_OFF, Settings, get_settings
from retail_factory.warehouse.spark import dbt_spark_env

if TYPE_CHECKING:
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig

log = logging.getLogger(__name__)

PROFILE = "retail_factory"
# How Cosmos runs dbt: "watcher" (one `dbt build`, a sensor task per model; the default, see
# docs/architecture.md for the measurement) or "local" (one dbt invocation per model task).
EXECUTION_MODES = ("watcher", "local")
ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")
# The business date a dbt command builds, read by the project's run_date() macro: an environment
# variable, not `--vars`, because dbt re-parses the whole project whenever `--vars` change
# (dbt_project/macros/run_date.sql has the measurement).
RUN_DATE_ENV = "RETAIL_FACTORY_RUN_DATE"


def execution_mode_name() -> str:
    mode = os.environ.get("RETAIL_FACTORY_DBT_EXECUTION_MODE", "watcher")
    if mode not in EXECUTION_MODES:
        raise ValueError(f"RETAIL_FACTORY_DBT_EXECUTION_MODE is {mode!r}; use one of {', '.join(EXECUTION_MODES)}")
    return mode


def dbt_env(settings: Settings | None = None) -> dict[str, str]:
    """What dbt needs in its environment: the warehouse settings, and no usage statistics."""
    s = settings or get_settings()
    env = {key: value for key, value in os.environ.items() if key.startswith("RETAIL_FACTORY_")}
    env.update(
        RETAIL_FACTORY_WAREHOUSE=s.warehouse,
        RETAIL_FACTORY_DUCKDB_PATH=str(s.duckdb_path),
        **dbt_spark_env(s),
        **TELEMETRY_OFF,
    )
    return env


def dbt_executable() -> str:
    """The ``dbt`` of this environment (next to its Python), else the one on the PATH."""
    beside_python = Path(sys.executable).with_name("dbt")
    return str(beside_python) if beside_python.exists() else shutil.which("dbt") or "dbt"


def dbt_vars(**values: Any) -> list[str]:
    """``--vars`` for a dbt command, none if empty. Keep them the same from day to day: a change
    makes dbt parse the whole project again (~13 s)."""
    return ["--vars", json.dumps(values)] if values else []


def manifest_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).dbt_target_dir / "manifest.json"


MANIFEST_STAMP = "manifest.fingerprint"  # beside manifest.json: the target and project it was compiled from


def _manifest_stamp(settings: Settings, target: str) -> str:
    """Which manifest.json a command leaves: the target's (Spark's differs from DuckDB's, e.g. its
    contracts are off) and the project's files as they were."""
    return f"{target}\n{_project_fingerprint(settings.dbt_project_dir)}"


def _project_fingerprint(project: Path) -> str:
    """A hash of every file dbt parses, so a stale manifest is noticed."""
    digest = hashlib.sha256()
    for path in sorted(project.rglob("*")):
        if path.is_file() and path.suffix in {".sql", ".yml", ".yaml", ".csv", ".md"} and "target" not in path.parts:
            digest.update(str(path.relative_to(project)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def run_dbt(
    args: list[str], settings: Settings | None = None, target: str | None = None, run_date: dt.date | None = None
) -> dict[str, Any]:
    """Run one dbt command in its own process; return its run results, or raise with dbt's message.
    ``run_date`` is the business date the models build (none: every date they have not seen).

    Its own process, as the DAG's build: DuckDB lets one process write a file, and dbt-duckdb
    in this process could keep the file open after the command, locking out the next build.
    """
    s = settings or get_settings()
    env = {**os.environ, **dbt_env(s), "DBT_USE_COLORS": "false"}
    env[RUN_DATE_ENV] = run_date.isoformat() if run_date else ""  # never one left in the environment
    # Cosmos sets this for the DAG's build in the task's process; commands run here say what they run.
    env.pop("DBT_EXCLUDE_RESOURCE_TYPES", None)
    results_file = s.dbt_target_dir / "run_results.json"
    results_file.unlink(missing_ok=True)
    # Every command rewrites manifest.json for its target: the stamp says which, once it succeeded.
    stamp = _manifest_stamp(s, target or s.warehouse)
    (s.dbt_target_dir / MANIFEST_STAMP).unlink(missing_ok=True)
    command = [dbt_executable(), *args]
    command += ["--project-dir", str(s.dbt_project_dir), "--profiles-dir", str(s.dbt_project_dir)]
    command += ["--target-path", str(s.dbt_target_dir), "--log-path", str(s.dbt_target_dir / "logs")]
    command += ["--target", target or s.warehouse]  # another target: the spark one (warehouse.spark)
    last_lines: collections.deque[str] = collections.deque(maxlen=20)
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as dbt:
        for line in dbt.stdout or ():
            line = ANSI_CODES.sub("", line.rstrip())  # dbt marks its lines with colour resets even without colours
            log.info("%s", line)
            last_lines.append(line)
    results = json.loads(results_file.read_text()) if results_file.exists() else {"results": []}
    if dbt.returncode != 0:
        reason = _failures(results) or "\n".join(last_lines)  # no node failed: dbt's last words say why
        raise RuntimeError(f"dbt {' '.join(args)} failed: {reason}")
    (s.dbt_target_dir / MANIFEST_STAMP).write_text(stamp)
    return results


def _failures(run_results: dict[str, Any], limit: int = 10) -> str:
    """The failed nodes of a dbt run and dbt's message for each, to put in the task's error."""
    failed = [
        f"{r['unique_id']}: {r['status']}: {(r.get('message') or '').strip()[:500]}"
        for r in run_results.get("results", [])
        if r["status"] in ("error", "fail", "runtime error")
    ]
    more = f" (and {len(failed) - limit} more)" if len(failed) > limit else ""
    return "; ".join(failed[:limit]) + more


def ensure_manifest(settings: Settings | None = None) -> Path:
    """Compile ``manifest.json`` (``dbt parse``) unless the last dbt command compiled it for this
    warehouse's target from the project as it is: the project changed, or a command ran for
    another target (``RETAIL_FACTORY_WAREHOUSE`` switched, or Spark's build in ``warehouse.spark``)."""
    s = settings or get_settings()
    path = manifest_path(s)
    stamp = s.dbt_target_dir / MANIFEST_STAMP
    if path.exists() and stamp.exists() and stamp.read_text() == _manifest_stamp(s, s.warehouse):
        return path
    s.dbt_target_dir.mkdir(parents=True, exist_ok=True)
    run_dbt(["parse"], s)  # writes the stamp
    log.info("compiled the dbt manifest: %s", path)
    return path


def cosmos_configs(
    run_date_template: str, settings: Settings | None = None
) -> tuple[ProjectConfig, ProfileConfig, ExecutionConfig, RenderConfig]:
    """Project, profile, execution and render configuration of the transform DAG's dbt group,
    whose tasks build the date ``run_date_template`` renders to (Cosmos templates their `env`)."""
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    s = settings or get_settings()
    if not manifest_path(s).exists():  # a fresh clone: compile it once (runners refresh it: ensure_manifest)
        ensure_manifest(s)
    project = ProjectConfig(
        dbt_project_path=s.dbt_project_dir,
        manifest_path=manifest_path(s),
        project_name=PROFILE,
        install_dbt_deps=False,  # no packages: dbt hub is not reachable, and none is needed
        # Unit tests check the SQL, not the day's data: CI runs them (`make test`), as dbt advises.
        env_vars={**dbt_env(s), "DBT_EXCLUDE_RESOURCE_TYPES": "unit_test", RUN_DATE_ENV: run_date_template},
    )
    profile = ProfileConfig(
        profile_name=PROFILE, target_name=s.warehouse, profiles_yml_filepath=s.dbt_project_dir / "profiles.yml"
    )
    mode = ExecutionMode.WATCHER if execution_mode_name() == "watcher" else ExecutionMode.LOCAL
    # dbt in its own process, its JSON log read by the task: in-process (dbt runner), Cosmos turns
    # every dbt event into JSON and pushes node states to XCom from dbt's own thread, which held
    # the build back 2.6× (bench/transform.py); in a subprocess dbt works while the task reads.
    execution = ExecutionConfig(
        execution_mode=mode, invocation_mode=InvocationMode.SUBPROCESS, dbt_executable_path=dbt_executable()
    )
    render = RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        test_behavior=TestBehavior.AFTER_EACH,
        emit_datasets=False,  # the transform DAG emits the curated Assets itself, once per date
        enable_mock_profile=False,
    )
    return project, profile, execution, render
