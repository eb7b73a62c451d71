"""run_dbt: dbt in its own process, and a failure that says why."""

from __future__ import annotations

from pathlib import Path

import pytest
from retail_factory.warehouse.dbt import run_dbt


def test_a_dbt_command_that_fails_before_any_node_raises_with_dbt_own_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETAIL_FACTORY_DBT_TARGET_DIR", str(tmp_path / "target"))
    with pytest.raises(RuntimeError) as failure:
        run_dbt(["build", "--vars", "{not yaml"])
    message = str(failure.value)
    assert message.startswith("dbt build --vars {not yaml failed:")
    assert "is not valid YAML" in message and "\x1b[" not in message
