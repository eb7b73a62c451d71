"""Fresh stock that expires before it sells: what of the shelf can still be sold, day by day.

A fresh shelf empties two ways: shoppers buy the last unit, or the last units pass their
best-before date and are thrown away. Counting every recorded unit as stock that lasts misses
the second; on the simulated chain six out of ten empty spells of fresh products began the day
after a batch expired. So for a fresh product the job splits the recorded on-hand into batches
by best-before date, and counts a batch only for the demand it can meet before it expires.

* **Batches.** Shoppers take the oldest units first, so what is still on the shelf came with the
  latest receipts: the on-hand is allocated to the receipts still within their best-before date,
  newest first. A receipt without a best-before date (no shipment line matched it) lasts its
  product's shelf life from the day it came. Units no such receipt explains are counted as gone:
  a fresh unit older than its shelf life is not on the shelf, whatever the record says (it is
  usually stock lost unrecorded, which the next count writes off).
* **Usable stock within t days.** Batches in best-before order meet the expected demand: a batch
  that expires on day ``k < t`` sells what demand reaches it by day ``k`` (after the older
  batches took theirs), a batch that lasts past day ``t`` counts whole.

The expected demand is the forecast's mean; a product that is not fresh keeps its on-hand whole.
Written by hand: statsforecast and mlforecast forecast demand, none of them ages stock.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def batches_on_hand(stock: pd.DataFrame, receipts: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The on-hand units of fresh series split by the day they can last sell.

    ``stock``: indexed by ``unique_id``, with ``on_hand`` and ``shelf_life_days`` (null: not fresh).
    ``receipts``: ``unique_id``, ``received_date``, ``received_qty``, ``best_before_date`` (may be null).
    Returns one row per batch: ``unique_id``, ``quantity``, ``last_day`` (days after ``as_of``
    the batch can still sell; 0 for units no receipt explains).
    """
    fresh = stock[stock["shelf_life_days"].notna() & (stock["on_hand"] > 0)]
    columns = ["unique_id", "quantity", "last_day"]
    if fresh.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c != "unique_id" else object) for c in columns})
    day = pd.Timestamp(as_of)
    lots = receipts[receipts["unique_id"].isin(fresh.index)].copy()
    lots["received_date"] = pd.to_datetime(lots["received_date"])
    lots["received_qty"] = pd.to_numeric(lots["received_qty"]).astype(float)
    life = pd.to_timedelta(lots["unique_id"].map(fresh["shelf_life_days"]), unit="D")
    best_before = pd.to_datetime(lots["best_before_date"]).fillna(lots["received_date"] + life)
    lots["last_day"] = (best_before - day).dt.days
    lots = lots[(lots["received_date"] <= day) & (lots["last_day"] > 0) & (lots["received_qty"] > 0)]
    # Newest first: what remains of the on-hand after the newer receipts falls to the older ones.
    lots = lots.sort_values(["unique_id", "received_date", "last_day"], ascending=[True, False, False])
    on_hand = lots["unique_id"].map(fresh["on_hand"]).astype(float)  # no receipt yet: an empty map keeps text
    newer = lots.groupby("unique_id")["received_qty"].cumsum() - lots["received_qty"]
    lots["quantity"] = np.minimum(lots["received_qty"], (on_hand - newer).clip(lower=0))
    explained = lots.groupby("unique_id")["quantity"].sum().reindex(fresh.index, fill_value=0)
    unexplained = (fresh["on_hand"] - explained).clip(lower=0)
    gone = pd.DataFrame({"unique_id": unexplained.index, "quantity": unexplained.to_numpy(), "last_day": 0})
    batches = pd.concat([lots.loc[lots["quantity"] > 0, columns], gone[gone["quantity"] > 0]], ignore_index=True)
    return batches.astype({"quantity": "int64", "last_day": "int64"}).sort_values(
        ["unique_id", "last_day"], ignore_index=True
    )


def usable_stock(forecast: pd.DataFrame, on_hand: pd.Series, batches: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Per series (the index of ``on_hand``) and day ``t`` = 0 … ``horizon``: the on-hand units
    that can meet demand within the first ``t`` days. Columns 0 … ``horizon``.

    ``forecast``: ``unique_id``, ``ds``, ``mean``; ``batches``: from :func:`batches_on_hand`.
    Series without batches keep their whole ``on_hand`` every day.
    """
    days = np.arange(horizon + 1)
    whole = np.repeat(on_hand.clip(lower=0).to_numpy(dtype=float)[:, None], len(days), axis=1)
    usable = pd.DataFrame(whole, index=on_hand.index, columns=days)
    aged = batches[batches["unique_id"].isin(on_hand.index)]
    if aged.empty:
        return usable
    ids = pd.Index(aged["unique_id"].unique())
    wanted = _cumulative_demand(forecast, ids, horizon)
    row = ids.get_indexer(aged["unique_id"])
    last = aged["last_day"].to_numpy()
    quantity = aged["quantity"].to_numpy(dtype=float)
    rank = aged.groupby("unique_id").cumcount().to_numpy()
    consumed = np.zeros(len(ids))
    total = np.zeros((len(ids), len(days)))
    # Oldest batch first: it meets the demand until it expires; the next meets what is left.
    for r in range(int(rank.max()) + 1):
        at = rank == r
        rows, k, q = row[at], last[at], quantity[at]
        sold = np.clip(wanted[rows, np.minimum(k, horizon)] - consumed[rows], 0, q)
        consumed[rows] += sold
        total[rows] += np.where(k[:, None] < days[None, :], sold[:, None], q[:, None])
    usable.loc[ids] = total
    return usable


def _cumulative_demand(forecast: pd.DataFrame, ids: pd.Index, horizon: int) -> np.ndarray:
    """Expected demand of the first 0 … ``horizon`` forecast days of each series of ``ids``."""
    ranked = forecast[forecast["unique_id"].isin(ids)].sort_values(["unique_id", "ds"])
    day = ranked.groupby("unique_id").cumcount().to_numpy() + 1
    keep = day <= horizon
    per_day = np.zeros((len(ids), horizon + 1))
    per_day[ids.get_indexer(ranked["unique_id"].to_numpy()[keep]), day[keep]] = ranked["mean"].to_numpy()[keep]
    return np.cumsum(per_day, axis=1)
