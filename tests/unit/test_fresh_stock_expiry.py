"""Fresh stock by best-before date: which recorded units can still sell, and what that does to the
risk and the order (answers worked by hand)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from retail_factory.forecasting.expiry import batches_on_hand, usable_stock
from retail_factory.forecasting.risk import stockout_risk
from scipy import stats

AS_OF = dt.date(2025, 6, 2)
DAYS = pd.date_range("2025-06-03", periods=14, freq="D")
MILK, SOAP = "S|MILK", "S|SOAP"


def _receipt(unique_id: str, days_ago: int, quantity: int, lasts: int | None) -> dict:
    day = pd.Timestamp(AS_OF) - pd.Timedelta(days=days_ago)
    best_before = None if lasts is None else pd.Timestamp(AS_OF) + pd.Timedelta(days=lasts)
    return {"unique_id": unique_id, "received_date": day, "received_qty": quantity, "best_before_date": best_before}


def _stock(on_hand: dict[str, int], shelf_life: dict[str, float]) -> pd.DataFrame:
    index = pd.Index(list(on_hand), name="unique_id")
    return pd.DataFrame({"on_hand": on_hand, "shelf_life_days": shelf_life}).reindex(index)


def _batches(stock: pd.DataFrame, *receipts: dict) -> list[tuple]:
    found = batches_on_hand(stock, pd.DataFrame(list(receipts)), AS_OF)
    return list(found.itertuples(index=False, name=None))


def test_the_on_hand_comes_from_the_newest_receipts() -> None:
    stock = _stock({MILK: 7}, {MILK: 7})
    # 10 came five days ago (last day tomorrow), 6 two days ago (four more days): 6 + 1 remain
    assert _batches(stock, _receipt(MILK, 5, 10, 1), _receipt(MILK, 2, 6, 4)) == [(MILK, 1, 1), (MILK, 6, 4)]


def test_units_no_receipt_explains_are_gone_and_an_undated_receipt_lasts_the_shelf_life() -> None:
    stock = _stock({MILK: 9}, {MILK: 7})
    found = _batches(stock, _receipt(MILK, 2, 5, None), _receipt(MILK, 9, 20, 0))  # the older one is past
    assert found == [(MILK, 4, 0), (MILK, 5, 5)]  # received 2 days ago + 7 days' life = 5 days left


def test_fresh_stock_before_any_receipt_is_all_gone() -> None:
    """The chain's first day: fresh stock on hand and no receipt yet (an empty frame, typed as
    `load_receipts` gives it on every warehouse, its keys text)."""
    none = pd.DataFrame({
        "unique_id": pd.Series([], dtype=str),
        "received_date": pd.Series([], dtype="datetime64[ns]"),
        "received_qty": pd.Series([], dtype=float),
        "best_before_date": pd.Series([], dtype="datetime64[ns]"),
    })  # fmt: skip
    found = batches_on_hand(_stock({MILK: 9}, {MILK: 7}), none, AS_OF)
    assert list(found.itertuples(index=False, name=None)) == [(MILK, 9, 0)]


def test_a_product_that_is_not_fresh_has_no_batches() -> None:
    stock = _stock({SOAP: 30}, {SOAP: float("nan")})
    assert _batches(stock, _receipt(SOAP, 2, 30, 300)) == []


def _forecast(per_day: float, unique_id: str = MILK) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": unique_id, "ds": DAYS, "mean": per_day, "dispersion": 1.0})


def test_a_batch_counts_for_the_demand_it_meets_before_it_expires() -> None:
    on_hand = pd.Series({MILK: 9, SOAP: 30})
    batches = pd.DataFrame({"unique_id": [MILK, MILK], "quantity": [3, 6], "last_day": [1, 4]})
    forecast = pd.concat([_forecast(1.0), _forecast(1.0, SOAP)])
    usable = usable_stock(forecast, on_hand, batches, horizon=14)
    # within a day all 9 can sell; after it, the 3 old units sold 1 (2 thrown away);
    # after day 4 the newer 6 met 3 days of demand (3 thrown away)
    assert list(usable.loc[MILK, [0, 1, 2, 4, 5, 14]]) == [9, 9, 7, 7, 4, 4]
    assert (usable.loc[SOAP] == 30).all()  # not fresh: the whole on-hand, every day


def _stock_row(**values) -> pd.DataFrame:
    row = {"on_hand": 8, "in_transit": 0, "days_to_delivery": 3, "days_between_deliveries": 3, "pack_size": 6}
    return pd.DataFrame([{**row, **values}], index=pd.Index([MILK], name="unique_id"))


def test_stock_that_expires_before_the_delivery_raises_the_risk_and_the_order() -> None:
    forecast, stock = _forecast(2.0), _stock_row()
    batches = pd.DataFrame({"unique_id": [MILK], "quantity": [8], "last_day": [1]})  # all 8 expire tomorrow
    usable = usable_stock(forecast, stock["on_hand"], batches, horizon=14)
    lasting = stockout_risk(forecast, stock).iloc[0]
    expiring = stockout_risk(forecast, stock, usable=usable).iloc[0]
    # only the 2 units sold tomorrow count: demand over 3 days (Poisson 6) beats 2 far more often than 8
    assert lasting["p_stockout"] == pytest.approx(stats.poisson.sf(8, 6.0), rel=1e-3)  # 0.153
    assert expiring["p_stockout"] == pytest.approx(stats.poisson.sf(2, 6.0), rel=1e-3)  # 0.938
    assert expiring["available"] == 2 and lasting["available"] == 8
    assert expiring["expected_stockout_date"] == DAYS[1]  # nothing left for the second day
    assert expiring["recommended_order_qty"] - lasting["recommended_order_qty"] == 6  # one more pack
