"""The detection ceiling: a classifier trained on the truth, from sales alone, scored out of sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
from retail_factory.forecasting.detection import detect_stockouts
from retail_factory.forecasting.detection_ceiling import detection_ceiling


def _chain(seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Nine stores × six products × 70 days selling 4 a day, each series with empty spells of 2-5 days."""
    rng = np.random.default_rng(seed)
    rows, empty = [], []
    for store in range(9):
        for product in range(6):
            shelf_empty = np.zeros(70, dtype=bool)
            for start in rng.choice(np.arange(14, 64), size=3, replace=False):
                shelf_empty[start : start + rng.integers(2, 6)] = True
            sales = np.where(shelf_empty, 0, rng.poisson(4.0, 70))
            days = pd.date_range("2025-03-03", periods=70, freq="D")
            rows.append(pd.DataFrame({"store_id": f"S{store}", "gtin": f"G{product}", "date": days,
                                      "units_sold": sales, "on_hand_qty": 10}))  # fmt: skip
            empty.append(shelf_empty)
    return detect_stockouts(pd.concat(rows, ignore_index=True)), np.concatenate(empty)


def test_a_truth_the_sales_show_is_learnt_almost_perfectly() -> None:
    flags, empty = _chain()
    precision, recall = detection_ceiling(flags, pd.Series(empty, index=flags.index))
    assert precision > 0.9 and recall > 0.9


def test_a_truth_the_sales_do_not_show_is_not_learnt() -> None:
    flags, empty = _chain()
    coin = np.random.default_rng(5).random(len(empty)) < empty.mean()  # as many empty days, unrelated to sales
    precision, _ = detection_ceiling(flags, pd.Series(coin, index=flags.index))
    assert precision < 0.3
