"""The stockout board: stores at risk on a run date, and per store its top risks.

Read from the forecasting job's tables (``ml.*``) and the marts, like the forecast report
(forecasting/report.py), whose plot each risk reuses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from retail_factory.forecasting import report
from retail_factory.forecasting.outputs import AT_RISK
from retail_factory.warehouse.connections import Query

TOP_RISKS_PER_STORE = 12

_LATEST = "select max(as_of_date) from ml.forecast_runs"
_RUN_DATES = "select as_of_date from ml.forecast_runs order by as_of_date desc limit 14"
_STORES_AT_RISK = f"""
select risks.store_id, stores.store_name, coalesce(stores.region, 'unknown region') as region,
    count(*) as series,
    sum(case when risks.p_stockout >= {AT_RISK} then 1 else 0 end) as at_risk,
    sum(risks.p_stockout) as expected_stockouts,
    max(risks.p_stockout) as worst_p_stockout,
    min(case when risks.p_stockout >= {AT_RISK} then risks.expected_stockout_date end) as first_empty_date,
    min(risks.next_delivery_date) as next_delivery_date,
    sum(coalesce(risks.recommended_order_qty, 0)) as order_units,
    sum(case when risks.stock_check <> 'ok' then 1 else 0 end) as to_count
from ml.stockout_risks as risks
left join marts.dim_stores as stores on stores.store_id = risks.store_id
where risks.as_of_date = ?
group by risks.store_id, stores.store_name, stores.region
order by at_risk desc, expected_stockouts desc, risks.store_id
"""
_STORE_RISKS = """
select risks.*, products.product_name, products.category, stores.store_name,
    coalesce(stores.region, 'unknown region') as region
from ml.stockout_risks as risks
left join marts.dim_products as products on products.gtin = risks.gtin
left join marts.dim_stores as stores on stores.store_id = risks.store_id
where risks.as_of_date = ? and risks.store_id = ?
order by risks.p_stockout desc, risks.expected_stockout_date nulls last, risks.gtin
limit ?
"""

_ONE_RISK = """
select risks.*, products.product_name
from ml.stockout_risks as risks
left join marts.dim_products as products on products.gtin = risks.gtin
where risks.as_of_date = ? and risks.store_id = ? and risks.gtin = ?
"""


def latest_run_date(query: Query) -> dt.date | None:
    """The newest date the forecasting job ran for, or None before its first run."""
    _, rows = query(_LATEST)
    return rows[0][0] if rows else None


def run_dates(query: Query) -> list[dt.date]:
    return [row[0] for row in query(_RUN_DATES)[1]]


def stores_at_risk(query: Query, as_of: dt.date) -> list[dict[str, Any]]:
    """Every store of the run, the most at risk first."""
    columns, rows = query(_STORES_AT_RISK, [as_of])
    return [dict(zip(columns, row, strict=True)) for row in rows]


def store_risks(query: Query, as_of: dt.date, store_id: str, limit: int = TOP_RISKS_PER_STORE) -> list[dict[str, Any]]:
    """A store's products, the most likely to run out first."""
    columns, rows = query(_STORE_RISKS, [as_of, store_id, limit])
    return [dict(zip(columns, row, strict=True)) for row in rows]


def risk_plot(query: Query, as_of: dt.date, store_id: str, gtin: str) -> bytes | None:
    """The report's plot of one series (history, forecast band, projected stock); None if not forecast."""
    columns, rows = query(_ONE_RISK, [as_of, store_id, gtin])
    if not rows:
        return None
    return report.series_plot(query, pd.Series(dict(zip(columns, rows[0], strict=True))), as_of)
