"""What the forecasting job reads, on marts written by hand (only the columns it reads) into a real
DuckDB file and a real PostgreSQL database, so each answer can be checked with a pencil."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from retail_factory.forecasting.inputs import (
    delivery_schedule,
    load_history,
    load_promotions,
    load_receipts,
    load_stock,
)

from tests.integration.warehouse_helpers import write_tables

pytestmark = pytest.mark.integration
AS_OF = dt.date(2025, 6, 3)  # a Tuesday
S1, S2, MILK, SOAP = "S1", "S2", "G-MILK", "G-SOAP"


DAY = dt.timedelta(days=1)
TABLES = {  # only the columns the job reads
    "fct_inventory_daily": (
        "store_id varchar, gtin varchar, snapshot_date date, on_hand_qty integer, previous_on_hand_qty integer,"
        " received_qty integer",
        [(S1, MILK, AS_OF - DAY, 5, 8, 0), (S1, MILK, AS_OF, 0, 5, 0), (S1, SOAP, AS_OF, 30, 30, 0)],
    ),
    "fct_sales_daily": (
        "store_id varchar, gtin varchar, sold_date date, units_sold integer",
        [(S1, MILK, AS_OF - DAY, 3)],
    ),
    "fct_shipments": (
        "shipment_id varchar, shipment_line integer, store_id varchar, gtin varchar, shipped_qty integer,"
        " shipped_date date",
        [("SH1", 1, S1, MILK, 12, AS_OF - DAY), ("SH1", 2, S1, SOAP, 6, AS_OF - DAY),
         ("SH2", 1, S1, MILK, 24, AS_OF), ("SH3", 1, S1, MILK, 6, AS_OF + DAY)],
    ),
    "fct_receipts": (
        "shipment_id varchar, shipment_line integer, store_id varchar, gtin varchar, received_qty integer,"
        " received_date date, best_before_date date",
        [("SH1", 2, S1, SOAP, 6, AS_OF, AS_OF + 300 * DAY),  # the soap arrived, the milk did not
         ("SH0", 1, S1, MILK, 6, AS_OF - 5 * DAY, AS_OF + DAY), ("SH0", 2, S1, MILK, 4, AS_OF - 5 * DAY, AS_OF + DAY),
         ("SH9", 1, S1, MILK, 6, AS_OF - 2 * DAY, None),  # no shipment line matched: no best-before
         ("SH8", 1, S1, MILK, 6, AS_OF - 6 * DAY, AS_OF),  # past its best-before by the end of the day
         ("SH7", 1, S1, MILK, 6, AS_OF + DAY, AS_OF + 7 * DAY)],  # after the run date
    ),
    "dim_products": (
        "gtin varchar, case_size integer, is_fresh boolean, shelf_life_days integer",
        [(MILK, 6, True, 7), (SOAP, 12, False, 700)],
    ),
    "dim_stores": (
        "store_id varchar, order_days varchar, store_format varchar",
        [(S1, '["MON","THU"]', "hyper"), (S2, None, "proximity")],
    ),
    "fct_promotions": (
        "promo_id varchar, gtin varchar, store_format varchar, start_date date, end_date date,"
        " discount_pct double precision, announced_on date",
        [("P1", MILK, "all", AS_OF - DAY, AS_OF + DAY, 20.0, AS_OF - 7 * DAY),
         ("P2", SOAP, "hyper", AS_OF + DAY, AS_OF + DAY, 30.0, AS_OF),
         ("P3", MILK, "hyper", AS_OF, AS_OF, 40.0, AS_OF - DAY),  # overlaps P1 at S1: the deeper counts
         ("P4", SOAP, "all", AS_OF + 2 * DAY, AS_OF + 3 * DAY, 50.0, AS_OF + DAY)],  # announced after the run
    ),
    "fct_lead_times": (
        "flow varchar, receiver_id varchar, lead_time_days integer, received_date date",
        [("warehouse_to_store", S1, 2, AS_OF - DAY), ("warehouse_to_store", S1, 2, AS_OF),
         ("warehouse_to_store", S1, 5, AS_OF), ("warehouse_to_store", S1, 9, AS_OF - dt.timedelta(weeks=9))],
    ),
    "fct_store_orders": (
        "store_id varchar, requested_lead_time_days integer, ordered_date date",
        [(S2, 3, AS_OF)],
    ),
}  # fmt: skip


@pytest.fixture
def marts(warehouse):
    """The marts above in an empty DuckDB file or PostgreSQL database (each test runs on both)."""
    write_tables(warehouse, TABLES)
    return warehouse


def test_history_has_every_recorded_day_with_its_sales_or_none(marts) -> None:
    history = load_history(AS_OF, warehouse=marts)
    rows = {(r.gtin, r.date.date()): (r.units_sold, r.on_hand_qty) for r in history.itertuples()}
    assert rows == {(MILK, AS_OF - dt.timedelta(days=1)): (3, 5), (MILK, AS_OF): (0, 0), (SOAP, AS_OF): (0, 30)}


def test_stock_counts_what_was_shipped_and_not_yet_received(marts) -> None:
    stock = load_stock(AS_OF, warehouse=marts).set_index("gtin")
    assert stock.loc[MILK, "in_transit"] == 12 + 24  # SH3 leaves after the run date
    assert stock.loc[SOAP, "in_transit"] == 0  # received on the run date
    assert stock.loc[MILK, "pack_size"] == 6 and stock.loc[MILK, "shelf_life_days"] == 7
    assert stock.loc[SOAP, "shelf_life_days"] != stock.loc[SOAP, "shelf_life_days"]  # not fresh: no cap (NaN)


def test_fresh_receipts_are_those_that_may_still_be_on_the_shelf(marts) -> None:
    receipts = load_receipts(AS_OF, warehouse=marts).sort_values("received_date")
    rows = [(r.unique_id, r.received_date.date(), r.received_qty, r.best_before_date) for r in receipts.itertuples()]
    assert rows[0] == (f"{S1}|{MILK}", AS_OF - 5 * DAY, 10, pd.Timestamp(AS_OF + DAY))  # two lines, one lot
    assert rows[1][:3] == (f"{S1}|{MILK}", AS_OF - 2 * DAY, 6) and pd.isna(rows[1][3])  # its date unknown
    assert len(rows) == 2  # not the soap (not fresh), nor what expired or came after the run date


def test_the_next_delivery_follows_the_order_days_and_the_lead_time(marts) -> None:
    schedule = delivery_schedule(AS_OF, warehouse=marts).set_index("store_id")
    s1 = schedule.loc[S1]  # orders Mon and Thu; receipts of the last 8 weeks took 2, 2 and 5 days
    assert s1["lead_time_days"] == 2 and s1["next_order_date"] == dt.date(2025, 6, 5)
    assert s1["next_delivery_date"] == dt.date(2025, 6, 7) and s1["days_to_delivery"] == 3
    assert s1["days_between_deliveries"] == 4  # Thursday to Monday
    s2 = schedule.loc[S2]  # no order days known: any day; no receipt: the lead time it asks for
    assert s2["lead_time_days"] == 3 and s2["next_order_date"] == dt.date(2025, 6, 4)
    assert s2["days_between_deliveries"] == 1


def test_promotions_apply_to_their_format_every_day_as_announced_by_the_run_date(marts) -> None:
    promotions = load_promotions(AS_OF, warehouse=marts)
    days = {(r.store_id, r.gtin, r.date.date()): r.discount_pct for r in promotions.itertuples()}
    assert days == {
        (S1, MILK, AS_OF - DAY): 20.0, (S1, MILK, AS_OF): 40.0, (S1, MILK, AS_OF + DAY): 20.0,
        (S2, MILK, AS_OF - DAY): 20.0, (S2, MILK, AS_OF): 20.0, (S2, MILK, AS_OF + DAY): 20.0,
        (S1, SOAP, AS_OF + DAY): 30.0,
    }  # fmt: skip
