"""How well *could* sales alone tell an empty shelf? A classifier trained on the truth itself.

The job calls a stockout from sales alone with a probability test on zero-sales runs (see
``detection``). To know whether a better detector is worth building, the evaluation trains a
gradient-boosted classifier on the simulator's truth (the job never can), with only what the
sales show: the zero run's length and the day's place in it, the expected rate and the run's
probability, the weekday, the sales of the week before and after, the product's rate. Scored
out of sample (three folds of whole stores), at the threshold with its best F1. A ceiling in a
practical sense only: what one good model, taught by the truth, cannot learn from the sales.

LightGBM because the forecast already uses it; nothing here runs in the job.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_factory.forecasting.detection import precision_recall

FOLDS = 3
FEATURES = [
    "units_sold", "zero_run_days", "day_in_run", "expected_rate", "log_p_zero_run",
    "weekday", "sold_week_before", "sold_week_after", "product_rate",
]  # fmt: skip


def detection_ceiling(judged: pd.DataFrame, empty: pd.Series, seed: int = 0) -> tuple[float, float]:
    """Precision and recall, against ``empty``, of a classifier trained on it from sales alone.

    ``judged``: the flagged history (``detection.detect_stockouts`` columns, ``store_id``, ``gtin``, ``date``).
    """
    import lightgbm as lgb

    frame = _features(judged)
    truth = empty.loc[frame.index].to_numpy(dtype=bool)
    stores = np.sort(frame["store_id"].unique())
    fold_of = dict(zip(np.random.default_rng(seed).permutation(stores), np.arange(len(stores)) % FOLDS, strict=True))
    fold = frame["store_id"].map(fold_of).to_numpy()
    scores = np.zeros(len(frame))
    for k in range(FOLDS):
        train, test = fold != k, fold == k
        if not truth[train].any() or not test.any():
            continue
        model = lgb.LGBMClassifier(n_estimators=200, learning_rate=0.05, num_leaves=31, verbose=-1, n_jobs=2)
        model.fit(frame.loc[train, FEATURES], truth[train])
        scores[test] = model.predict_proba(frame.loc[test, FEATURES])[:, 1]
    return max(
        (precision_recall(pd.Series(scores >= t), pd.Series(truth)) for t in np.linspace(0.05, 0.95, 19)),
        key=lambda pr: 0 if np.isnan(pr).any() or sum(pr) == 0 else 2 * pr[0] * pr[1] / (pr[0] + pr[1]),
    )


def _features(judged: pd.DataFrame) -> pd.DataFrame:
    frame = judged.sort_values(["store_id", "gtin", "date"])
    keys = [frame["store_id"], frame["gtin"]]
    zero = frame["units_sold"] <= 0
    run_id = (zero != zero.groupby(keys, sort=False).shift(1)).cumsum()
    sold = frame["units_sold"].astype(float)
    total = sold.groupby(keys, sort=False).cumsum()  # each series' sales up to and with the day

    def total_at(offset: int) -> pd.Series:
        return total.groupby(keys, sort=False).shift(offset)

    return frame.assign(
        day_in_run=np.where(zero, zero.groupby(run_id).cumcount() + 1, 0),
        log_p_zero_run=np.log10(frame["p_zero_run"].clip(lower=1e-12)),
        weekday=frame["date"].dt.day_of_week,
        sold_week_before=total_at(1).fillna(0) - total_at(8).fillna(0),
        sold_week_after=total_at(-7).fillna(sold.groupby(keys, sort=False).transform("sum")) - total,
        product_rate=sold.groupby(frame["gtin"]).transform("mean"),
    )
