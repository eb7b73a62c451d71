"""A setting with a value the factory cannot use is refused when read, naming the variable and its choices."""

from __future__ import annotations

import pytest
from retail_factory.config import get_settings


@pytest.mark.parametrize(
    ("variable", "choices"),
    [("RETAIL_FACTORY_WAREHOUSE", "duckdb, postgres"), ("RETAIL_FACTORY_FORECAST_ENGINE", "local, spark")],
)
def test_an_unknown_choice_is_refused_with_the_choices(monkeypatch: pytest.MonkeyPatch, variable, choices) -> None:
    monkeypatch.setenv(variable, "Spark ")
    with pytest.raises(ValueError, match=f"{variable} is 'Spark '; it must be one of {choices}"):
        get_settings()


def test_the_forecast_runs_locally_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETAIL_FACTORY_FORECAST_ENGINE", raising=False)
    assert get_settings().forecast_engine == "local"
    monkeypatch.setenv("RETAIL_FACTORY_FORECAST_ENGINE", "spark")
    assert get_settings().forecast_engine == "spark"


def test_a_local_spark_gets_the_heap_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    from retail_factory.warehouse.spark import spark_conf

    monkeypatch.delenv("RETAIL_FACTORY_SPARK_DRIVER_MEMORY", raising=False)
    assert spark_conf()["spark.driver.memory"] == "1g"  # Spark's own default, said out loud
    monkeypatch.setenv("RETAIL_FACTORY_SPARK_DRIVER_MEMORY", "8g")
    assert spark_conf()["spark.driver.memory"] == "8g"
