"""A run's business date comes from the run, never from the clock."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pendulum
import pytest
from retail_factory.runs import NoBusinessDateError, business_date


def test_the_date_parameter_wins() -> None:
    context = {
        "params": {"date": "2025-03-04"},
        "dag_run": SimpleNamespace(partition_key="2025-03-01"),
        "logical_date": pendulum.datetime(2025, 1, 1, tz="UTC"),
    }
    assert business_date(context) == dt.date(2025, 3, 4)


def test_then_the_partition_key() -> None:
    context = {
        "params": {"date": None},
        "dag_run": SimpleNamespace(partition_key="2025-03-01"),
        "logical_date": None,
    }
    assert business_date(context) == dt.date(2025, 3, 1)


def test_then_the_logical_date_in_the_chains_time_zone() -> None:
    late_evening_utc = pendulum.datetime(2025, 3, 2, 23, 30, tz="UTC")  # already the 3rd in Paris
    context = {"params": {}, "dag_run": SimpleNamespace(partition_key=None), "logical_date": late_evening_utc}
    assert business_date(context) == dt.date(2025, 3, 3)


def test_no_date_at_all_is_an_error_not_today() -> None:
    with pytest.raises(NoBusinessDateError, match="partition key"):
        business_date({"params": {}, "dag_run": SimpleNamespace(partition_key=None), "logical_date": None})
