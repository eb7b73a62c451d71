"""The code keeps the project's lint rules (ruff, Airflow AIR rules, complexity) and format."""

import subprocess
import sys
from pathlib import Path

from retail_factory.config import get_settings

RUFF = Path(sys.executable).parent / "ruff"


def test_ruff_check_passes() -> None:
    result = subprocess.run([str(RUFF), "check", "."], cwd=get_settings().home, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_ruff_format_is_applied() -> None:
    result = subprocess.run(
        [str(RUFF), "format", "--check", "."], cwd=get_settings().home, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:]
