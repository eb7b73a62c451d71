"""A running stack keeps the settings it was started with: using it with others is refused, with the reason."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from retail_factory.stack import SETTINGS_FILE, Stack, StackError, check_same_settings, settings_tasks_read


def test_the_drop_folder_follows_the_demo_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RETAIL_FACTORY_DROP_DIR", raising=False)
    monkeypatch.setenv("RETAIL_FACTORY_DEMO_DIR", str(tmp_path / "demo"))
    assert settings_tasks_read()["drop_dir"] == str(tmp_path / "demo" / "sim" / "drop")


def test_a_stack_running_with_another_drop_folder_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RETAIL_FACTORY_DROP_DIR", str(tmp_path / "first"))
    stack = Stack(state_dir=tmp_path / "stack", azurite_port=1, airflow_port=1)
    stack.state_dir.mkdir()
    (stack.state_dir / SETTINGS_FILE).write_text(json.dumps(settings_tasks_read()))
    (stack.state_dir / "airflow.pid").write_text(str(os.getpid()))  # a live process: "running"
    check_same_settings(stack.state_dir / SETTINGS_FILE)  # the same settings: reused

    monkeypatch.setenv("RETAIL_FACTORY_DROP_DIR", str(tmp_path / "second"))
    with pytest.raises(StackError) as refused:
        stack.up(timeout=1)
    message = str(refused.value)
    assert "make down" in message and str(tmp_path / "first") in message and str(tmp_path / "second") in message
    assert not (stack.state_dir / "azurite.pid").exists()  # refused before anything was started


def test_the_stack_runs_eight_tasks_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AIRFLOW__CORE__PARALLELISM", raising=False)
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "True")  # the stack's own settings win over the rest
    env = Stack(state_dir=tmp_path, azurite_port=1, airflow_port=1).environment()
    assert (env["AIRFLOW__CORE__PARALLELISM"], env["AIRFLOW__CORE__LOAD_EXAMPLES"]) == ("8", "False")
    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "3")
    assert Stack(state_dir=tmp_path, azurite_port=1, airflow_port=1).environment()["AIRFLOW__CORE__PARALLELISM"] == "3"
