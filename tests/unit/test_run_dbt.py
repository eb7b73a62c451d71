"""run_dbt: dbt in its own process, the date it builds, and a failure that says why."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path

import pytest
from retail_factory.warehouse.dbt import ensure_manifest, manifest_path, run_dbt


def test_a_dbt_command_that_fails_before_any_node_raises_with_dbt_own_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETAIL_FACTORY_DBT_TARGET_DIR", str(tmp_path / "target"))
    with pytest.raises(RuntimeError) as failure:
        run_dbt(["build", "--vars", "{not yaml"])
    message = str(failure.value)
    assert message.startswith("dbt build --vars {not yaml failed:")
    assert "is not valid YAML" in message and "\x1b[" not in message


def test_a_new_run_date_reaches_the_sql_without_parsing_the_project_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The date goes in the environment, not `--vars` (whose change makes dbt parse everything)."""
    target = tmp_path / "target"
    monkeypatch.setenv("RETAIL_FACTORY_DBT_TARGET_DIR", str(target))
    monkeypatch.setenv("RETAIL_FACTORY_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("RETAIL_FACTORY_RUN_DATE", "1999-01-01")  # a stray one is never used
    compiled = target / "compiled" / "retail_factory" / "tests" / "assert_raw_rows_accounted_for.sql"
    dates, parsed_whole = {}, {}
    for day in (dt.date(2025, 3, 4), dt.date(2025, 3, 5)):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="retail_factory.warehouse.dbt"):
            run_dbt(["compile", "--select", "assert_raw_rows_accounted_for"], run_date=day)
        dates[day] = set(re.findall(r"cast\('([0-9-]+)' as date\)", compiled.read_text()))
        parsed_whole[day] = "Unable to do partial parsing" in caplog.text
    assert dates == {day: {day.isoformat()} for day in dates}
    assert list(parsed_whole.values()) == [True, False], caplog.text  # the first parse is kept for the next date


def test_a_manifest_compiled_for_another_target_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command for another target (Spark's build; RETAIL_FACTORY_WAREHOUSE switched) rewrites
    manifest.json: the DAG must not render this warehouse's build from it."""
    monkeypatch.setenv("RETAIL_FACTORY_DBT_TARGET_DIR", str(tmp_path / "target"))

    def adapter(manifest: Path) -> str:
        return json.loads(manifest.read_text(encoding="utf-8"))["metadata"]["adapter_type"]

    assert adapter(ensure_manifest()) == "duckdb"
    run_dbt(["parse"], target="spark")
    assert adapter(manifest_path()) == "spark"
    assert adapter(ensure_manifest()) == "duckdb"  # compiled again for this warehouse
    monkeypatch.setenv("RETAIL_FACTORY_WAREHOUSE", "spark")
    assert adapter(ensure_manifest()) == "spark"
