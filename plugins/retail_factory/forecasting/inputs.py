"""What the forecasting job reads from the curated marts, as of a run date.

* the **history** per store, product and day: units sold (``fct_sales_daily``, zero when no row)
  and the recorded stock (``fct_inventory_daily``), for the days the store sent a stock record;
* the **stock** at the end of the run date: on hand, in transit (shipped to the store and not
  received by then), the pack size and, for fresh products, the shelf life;
* the **receipts of fresh products** still within their best-before date at the run date
  (``fct_receipts``), to tell which of the recorded units expire before they sell (``expiry``);
* the **promotions** per store, product and day, past and ahead, as announced by the run date
  (``fct_promotions``: a promotion applies to the stores of its format, every day it runs);
* the **delivery schedule** per store: the next order day after the run date, the one after it,
  and the lead time from warehouse to store (the median of the last eight weeks' receipts in
  ``fct_lead_times``, else the lead time the store asks for in its orders, else one day).

Plain SQL that DuckDB and PostgreSQL both run; the job never reads the simulator's truth.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from retail_factory.warehouse.connections import Warehouse, get_warehouse

HISTORY_DAYS = 182  # half a year: four weeks of trailing rates and every weekday many times
LEAD_TIME_WEEKS = 8
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")

_HISTORY = """
select
    stock.store_id, stock.gtin, stock.snapshot_date as date,
    coalesce(sales.units_sold, 0) as units_sold,
    stock.on_hand_qty, stock.previous_on_hand_qty, stock.received_qty
from marts.fct_inventory_daily as stock{listed}
left join marts.fct_sales_daily as sales
    on sales.store_id = stock.store_id and sales.gtin = stock.gtin and sales.sold_date = stock.snapshot_date
where stock.snapshot_date > ? and stock.snapshot_date <= ?{products}
order by stock.store_id, stock.gtin, stock.snapshot_date
"""
# Listed on the run date: the series with a stock record that day (a product delisted has none).
_LISTED = """
inner join (
    select store_id, gtin from marts.fct_inventory_daily where snapshot_date = ?
) as listed on listed.store_id = stock.store_id and listed.gtin = stock.gtin"""

_STOCK = """
with on_hand as (
    select store_id, gtin, on_hand_qty
    from marts.fct_inventory_daily
    where snapshot_date = ?
),
in_transit as (
    select shipments.store_id, shipments.gtin, sum(shipments.shipped_qty) as in_transit_qty
    from marts.fct_shipments as shipments
    where shipments.shipped_date <= ?
        and not exists (
            select 1 from marts.fct_receipts as receipts
            where receipts.shipment_id = shipments.shipment_id
                and receipts.shipment_line = shipments.shipment_line
                and receipts.received_date <= ?
        )
    group by shipments.store_id, shipments.gtin
)
select
    on_hand.store_id, on_hand.gtin, on_hand.on_hand_qty as on_hand,
    coalesce(in_transit.in_transit_qty, 0) as in_transit,
    coalesce(products.case_size, 1) as pack_size,
    case when products.is_fresh then products.shelf_life_days end as shelf_life_days
from on_hand
left join in_transit on in_transit.store_id = on_hand.store_id and in_transit.gtin = on_hand.gtin
left join marts.dim_products as products on products.gtin = on_hand.gtin
order by on_hand.store_id, on_hand.gtin
"""

# Receipts of fresh products whose units may still be on the shelf after the run date: received
# within the product's shelf life, not past their best-before date (null when no shipment matched).
_RECEIPTS = """
select receipts.store_id, receipts.gtin, receipts.received_date,
    sum(receipts.received_qty) as received_qty, receipts.best_before_date
from marts.fct_receipts as receipts
inner join marts.dim_products as products on products.gtin = receipts.gtin
where products.is_fresh and receipts.received_date <= ? and receipts.received_date > ?
    and (receipts.best_before_date is null or receipts.best_before_date > ?){products}
group by receipts.store_id, receipts.gtin, receipts.received_date, receipts.best_before_date
"""
MAX_FRESH_DAYS = 60  # the longest shelf life of a fresh product: older receipts have expired

_PROMOTIONS = """
select stores.store_id, promotions.gtin, promotions.start_date, promotions.end_date, promotions.discount_pct
from marts.fct_promotions as promotions
inner join marts.dim_stores as stores
    on promotions.store_format = 'all' or promotions.store_format = stores.store_format
where promotions.announced_on <= ? and promotions.end_date >= ? and promotions.start_date <= ?{products}
"""

_SCHEDULE = """
with received as (
    select receiver_id as store_id, lead_time_days
    from marts.fct_lead_times
    where flow = 'warehouse_to_store' and received_date > ? and received_date <= ? and lead_time_days is not null
),
asked as (
    select store_id, max(requested_lead_time_days) as asked_lead_time_days
    from marts.fct_store_orders
    where ordered_date > ? and ordered_date <= ?
    group by store_id
)
select stores.store_id, stores.order_days, asked.asked_lead_time_days,
    (select percentile_disc(0.5) within group (order by received.lead_time_days)
     from received where received.store_id = stores.store_id) as lead_time_days
from marts.dim_stores as stores
left join asked on asked.store_id = stores.store_id
order by stores.store_id
"""


def load_history(
    as_of: dt.date,
    days: int = HISTORY_DAYS,
    warehouse: Warehouse | None = None,
    gtins: Sequence[str] | None = None,
    listed_only: bool = False,
) -> pd.DataFrame:
    """Per store, product and recorded day up to ``as_of``: sales and recorded stock; of ``gtins``
    only if given, and of the series listed on ``as_of`` only (a stock record that day) if asked."""
    products = f" and stock.gtin in ({', '.join('?' * len(gtins))})" if gtins else ""
    if gtins is not None and not gtins:
        products = " and false"
    params = [as_of] if listed_only else []
    params += [as_of - dt.timedelta(days=days), as_of, *(gtins or [])]
    sql = _HISTORY.format(listed=_LISTED if listed_only else "", products=products)
    frame = (warehouse or get_warehouse()).query_frame(sql, params)
    frame["date"] = pd.to_datetime(frame["date"])
    for column in ("units_sold", "on_hand_qty", "previous_on_hand_qty", "received_qty"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)  # NaN, not NA, where not recorded
    return frame


def load_stock(as_of: dt.date, warehouse: Warehouse | None = None) -> pd.DataFrame:
    """Per store and product at the end of ``as_of``: on hand, in transit, pack size, shelf life if fresh."""
    frame = (warehouse or get_warehouse()).query_frame(_STOCK, [as_of, as_of, as_of])
    for column in ("on_hand", "in_transit", "pack_size", "shelf_life_days"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)  # NaN, not NA, where unknown
    return frame


def load_receipts(
    as_of: dt.date, warehouse: Warehouse | None = None, gtins: Sequence[str] | None = None
) -> pd.DataFrame:
    """Receipts of fresh products that may still be on the shelf after ``as_of``, per store,
    product, day and best-before date, keyed like the models' series (``unique_id``)."""
    products = f" and receipts.gtin in ({', '.join('?' * len(gtins))})" if gtins else ""
    if gtins is not None and not gtins:
        products = " and false"
    since = as_of - dt.timedelta(days=MAX_FRESH_DAYS)
    frame = (warehouse or get_warehouse()).query_frame(
        _RECEIPTS.format(products=products), [as_of, since, as_of, *(gtins or [])]
    )
    return pd.DataFrame({
        "unique_id": frame["store_id"].astype(str) + "|" + frame["gtin"].astype(str),
        "received_date": pd.to_datetime(frame["received_date"]),
        "received_qty": pd.to_numeric(frame["received_qty"]).astype(float),
        "best_before_date": pd.to_datetime(frame["best_before_date"]),
    })  # fmt: skip


def load_promotions(
    as_of: dt.date,
    days_back: int = HISTORY_DAYS,
    days_ahead: int = 28,
    warehouse: Warehouse | None = None,
    gtins: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per store, product and promoted day from ``days_back`` before ``as_of`` to ``days_ahead`` after:
    ``discount_pct`` (the deepest when two promotions overlap). Only what was announced by ``as_of``;
    of ``gtins`` only, if given."""
    first, last = as_of - dt.timedelta(days=days_back), as_of + dt.timedelta(days=days_ahead)
    products = f" and promotions.gtin in ({', '.join('?' * len(gtins))})" if gtins else ""
    if gtins is not None and not gtins:
        products = " and false"
    sql = _PROMOTIONS.format(products=products)
    frame = (warehouse or get_warehouse()).query_frame(sql, [as_of, first, last, *(gtins or [])])
    if frame.empty:
        types = {"store_id": str, "gtin": str, "date": "datetime64[ns]", "discount_pct": float}
        return pd.DataFrame({column: pd.Series(dtype=kind) for column, kind in types.items()})
    # One row per promoted day, clipped to the window: repeated rows plus day offsets.
    begin = pd.to_datetime(frame["start_date"]).clip(lower=pd.Timestamp(first))
    end = pd.to_datetime(frame["end_date"]).clip(upper=pd.Timestamp(last))
    lengths = ((end - begin).dt.days + 1).clip(lower=0).to_numpy()
    rows = frame.loc[frame.index.repeat(lengths), ["store_id", "gtin", "discount_pct"]].reset_index(drop=True)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows["date"] = np.repeat(begin.to_numpy(), lengths) + pd.to_timedelta(offsets, unit="D")
    rows["discount_pct"] = pd.to_numeric(rows["discount_pct"]).astype(float)  # DuckDB's decimals and NAs
    return rows.groupby(["store_id", "gtin", "date"], as_index=False)["discount_pct"].max()[
        ["store_id", "gtin", "date", "discount_pct"]
    ]


def delivery_schedule(as_of: dt.date, warehouse: Warehouse | None = None) -> pd.DataFrame:
    """Per store: ``lead_time_days``, ``next_order_date``, ``next_delivery_date``, ``days_to_delivery``
    (the days the stock must last: from the day after ``as_of`` to the day before the delivery)
    and ``days_between_deliveries``."""
    since = as_of - dt.timedelta(weeks=LEAD_TIME_WEEKS)
    frame = (warehouse or get_warehouse()).query_frame(_SCHEDULE, [since, as_of, since, as_of])
    rows = []
    for store in frame.to_dict("records"):
        known = [v for v in (store["lead_time_days"], store["asked_lead_time_days"]) if pd.notna(v)]
        lead = int(known[0]) if known else 1
        first, second = _next_order_days(as_of, _order_weekdays(store["order_days"]))
        delivery = first + dt.timedelta(days=lead)
        rows.append({
            "store_id": store["store_id"], "lead_time_days": lead, "next_order_date": first,
            "next_delivery_date": delivery, "days_to_delivery": (delivery - as_of).days - 1,
            "days_between_deliveries": (second - first).days,
        })  # fmt: skip
    return pd.DataFrame(rows)


def _order_weekdays(order_days: Any) -> list[int]:
    """``["MON", "THU"]`` (a list, or its JSON text) as weekday numbers; every day when unknown."""
    if isinstance(order_days, str):
        names = json.loads(order_days)
    else:
        names = list(order_days) if isinstance(order_days, (list, tuple)) else []  # null: unknown
    days = sorted({WEEKDAYS.index(str(name).upper()[:3]) for name in names if str(name).upper()[:3] in WEEKDAYS})
    return days or list(range(7))


def _next_order_days(as_of: dt.date, weekdays: list[int]) -> tuple[dt.date, dt.date]:
    """The first two order days after ``as_of``."""
    found = [d for d in (as_of + dt.timedelta(days=n) for n in range(1, 15)) if d.weekday() in weekdays]
    return found[0], found[1]
