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

    assert result.trainings >= 1 and result.proposals.units_ordered > 0 and result.counts >= 0
    for outcome in (result.own, result.proposals):
        assert 0 <= outcome.out_of_stock_rate <= outcome.lost_demand_rate <= 1
        assert outcome.mean_stock > 0
    with pytest.raises(ValueError, match="1 to 62 days"):
        replay_truth(tmp_path / "truth", days=63)


def test_the_proposals_stores_count_the_shelves_the_job_suspects_of_phantom_stock() -> None:
    import numpy as np
    from retail_factory.forecasting.replay import ProposalPolicy, _keys
    from retail_factory.sources.simulator.engine import ChainSimulator
    from retail_factory.sources.simulator.world import build_world

    rng = np.random.default_rng(7)
    world = build_world(2, 12, rng)
    chain = ChainSimulator(world, rng, dt.date(2025, 3, 3))
    chain.step(dt.date(2025, 3, 3))
    shelves = chain.shelves
    shelves.recorded[:2] = shelves.physical[:2] + 3  # both records 3 units above the shelf
    store_id, gtin = zip(*(key.split("|") for key in _keys(world, np.arange(2))), strict=True)
    flags = pd.DataFrame({"store_id": store_id, "gtin": gtin, "date": pd.Timestamp(2025, 3, 3),
                          "is_phantom_stock": [True, False]})  # fmt: skip

    policy = ProposalPolicy(chain, [], 0.975)
    policy._count(flags, dt.date(2025, 3, 3), np.arange(2))
    assert shelves.recorded[0] == shelves.physical[0]  # suspected: counted, the record corrected
    assert shelves.recorded[1] == shelves.physical[1] + 3  # not suspected: left as recorded
    assert policy.counts == 1
