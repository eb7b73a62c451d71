"""The replenishment replay: the simulated chain's last days again, once with the stores' own
ordering and once with the job's proposals; the first copy must be the simulation itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from retail_factory.forecasting.replay import replay_truth

pytestmark = pytest.mark.integration


def test_the_replay_reproduces_the_simulation_and_orders_with_the_proposals(tmp_path: Path) -> None:
    from retail_factory.sources.simulator import SimulationParams, simulate

    simulate(SimulationParams(2, 12, 63, dt.date(2025, 3, 3), 5, tmp_path, 0.0))
    result = replay_truth(tmp_path / "truth", days=7)

    truth = pd.read_parquet(tmp_path / "truth" / "series")
    last = truth[pd.to_datetime(truth["date"]) > pd.Timestamp(2025, 3, 3) + pd.Timedelta(days=63 - 7 - 1)]
    open_days = last[last["is_store_open"]]
    assert result.own.out_of_stock_rate == pytest.approx(float((~open_days["is_available"]).mean()))
    assert result.own.mean_stock == pytest.approx(float(last["physical_close"].mean()))  # the same chain

    assert result.trainings >= 1 and result.proposals.units_ordered > 0
    for outcome in (result.own, result.proposals):
        assert 0 <= outcome.out_of_stock_rate <= outcome.lost_demand_rate <= 1
        assert outcome.mean_stock > 0
    with pytest.raises(ValueError, match="1 to 62 days"):
        replay_truth(tmp_path / "truth", days=63)
