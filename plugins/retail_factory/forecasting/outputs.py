"""The forecasting job's tables in the warehouse (schema ``ml``), one set of rows per run date,
and how the job's frames become their rows.

Each run replaces its date's rows in every table in one transaction, so re-running a date gives
the same tables and an analyst never sees half a run. The job writes each chunk's rows to Parquet
parts on disk as it scores them (``OutputTable``), and the warehouse takes the parts in. Columns
are declared here, once: the warehouse creates the tables from them (DuckDB and PostgreSQL alike)
and the exports carry them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

SCHEMA = "ml"
AT_RISK = 0.5  # a series whose p_stockout reaches this is "at risk" in summaries and reports
DETECTED_DAYS_KEPT = 28  # ml.detected_stockouts keeps the last four weeks' stockouts of each run
KEY_COLUMN = "as_of_date"

DEMAND_FORECASTS = {
    "as_of_date": "date",
    "store_id": "varchar",
    "gtin": "varchar",
    "forecast_date": "date",
    "horizon_day": "integer",  # 1 = the day after the run date
    "model": "varchar",
    "segment": "varchar",  # smooth, erratic, intermittent, lumpy, no_demand
    "discount_pct": "double precision",  # the promotion announced for that day, if any
    "mean": "double precision",
    "p50": "double precision",
    "p90": "double precision",
    "p95": "double precision",
}

STOCKOUT_RISKS = {
    "as_of_date": "date",
    "store_id": "varchar",
    "gtin": "varchar",
    "horizon_days": "integer",  # the days the stock must last: until the next delivery is on the shelf
    "next_delivery_date": "date",
    "p_stockout": "double precision",
    "expected_stockout_date": "date",  # the day mean demand uses up the stock; null beyond the forecast
    "expected_demand": "double precision",  # mean demand over the horizon
    "on_hand": "integer",  # as recorded (negative records kept, treated as none)
    "in_transit": "integer",
    "expiring_qty": "double precision",  # of on hand, the units expected to pass their best-before unsold by then
    "recommended_order_qty": "integer",  # null when the stock record must be counted first
    "model": "varchar",
    "stock_check": "varchar",  # ok, missing, negative, implausible, phantom_suspected
}

ORDER_PROPOSALS = {
    "as_of_date": "date",
    "store_id": "varchar",
    "gtin": "varchar",
    "order_date": "date",
    "delivery_date": "date",
    "order_qty": "integer",
    "pack_size": "integer",
    "packs": "integer",
    "order_up_to": "integer",  # the stock level that covers demand until the delivery after next
    "available": "integer",  # on hand that sells before it expires, plus in transit: what the order counts on
    "service_level": "double precision",
    "capped_by_shelf_life": "boolean",
}

DETECTED_STOCKOUTS = {
    "as_of_date": "date",
    "store_id": "varchar",
    "gtin": "varchar",
    "stockout_date": "date",
    "detected_by": "varchar",  # records, sales, both
    "is_phantom_stock": "boolean",  # units on record, but a zero-sales run with p < 0.05: count the shelf
    "units_sold": "double precision",
    "unconstrained_demand": "double precision",
}

FORECAST_RUNS = {
    "as_of_date": "date",
    "series": "integer",
    "stores": "integer",
    "history_days": "integer",
    "imputed_days": "integer",
    "stockout_days": "integer",
    "unconstrained_days": "integer",
    "models_chosen": "varchar",  # JSON: segment -> model
    "backtest_rmsse": "varchar",  # JSON: model -> mean RMSSE over the backtested series
    "models_trained_on": "date",  # the last day of the history the models were trained on
    "fallback_series": "integer",
    "series_at_risk": "integer",  # p_stockout >= 0.5
    "order_lines": "integer",
    "units_ordered": "integer",
    "stock_checks": "varchar",  # JSON: stock_check -> series
    "stores_without_stock": "varchar",  # JSON list: stores with no stock record on the run date
    "service_level": "double precision",
}

TABLES: dict[str, dict[str, str]] = {
    f"{SCHEMA}.demand_forecasts": DEMAND_FORECASTS,
    f"{SCHEMA}.stockout_risks": STOCKOUT_RISKS,
    f"{SCHEMA}.order_proposals": ORDER_PROPOSALS,
    f"{SCHEMA}.detected_stockouts": DETECTED_STOCKOUTS,
    f"{SCHEMA}.forecast_runs": FORECAST_RUNS,
}


def demand_forecast_rows(values: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    out = values.assign(as_of_date=as_of, forecast_date=values["ds"].dt.date)
    out["horizon_day"] = (values["ds"] - pd.Timestamp(as_of)).dt.days
    return out[list(DEMAND_FORECASTS)]


def stockout_risk_rows(risks: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    out = risks.assign(as_of_date=as_of, horizon_days=risks["days_to_delivery"])
    out["expected_stockout_date"] = pd.to_datetime(out["expected_stockout_date"]).dt.date
    return out[list(STOCKOUT_RISKS)].sort_values(["store_id", "gtin"], ignore_index=True)


def order_proposal_rows(risks: pd.DataFrame, as_of: dt.date, service_level: float) -> pd.DataFrame:
    ordered = risks[risks["recommended_order_qty"].fillna(0) > 0]
    pack = ordered["pack_size"].fillna(1).clip(lower=1)
    out = ordered.assign(
        as_of_date=as_of,
        order_date=ordered["next_order_date"],
        delivery_date=ordered["next_delivery_date"],
        order_qty=ordered["recommended_order_qty"],
        pack_size=pack,
        packs=ordered["recommended_order_qty"] / pack,
        available=ordered["available"].round(),
        service_level=service_level,
    )
    return out[list(ORDER_PROPOSALS)].sort_values(["store_id", "gtin"], ignore_index=True)


def detected_stockout_rows(demand: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    recent = demand[
        demand["is_stockout"] & (demand["date"] > pd.Timestamp(as_of) - pd.Timedelta(DETECTED_DAYS_KEPT, "D"))
    ]
    by = np.select(
        [recent["stockout_recorded"] & recent["stockout_from_sales"], recent["stockout_recorded"]],
        ["both", "records"],
        "sales",
    )
    out = recent.assign(
        as_of_date=as_of, stockout_date=recent["date"].dt.date, detected_by=by, unconstrained_demand=recent["demand"]
    )
    return out[list(DETECTED_STOCKOUTS)].sort_values(["store_id", "gtin", "stockout_date"], ignore_index=True)


def empty_tables() -> dict[str, pd.DataFrame]:
    return {
        name.split(".", 1)[1]: pd.DataFrame(columns=list(columns))
        for name, columns in TABLES.items()
        if name != f"{SCHEMA}.forecast_runs"
    }


def chunk_facts(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """What the run's summary counts in one chunk's tables (``combine_facts`` adds the chunks up)."""
    risks, orders = tables["stockout_risks"], tables["order_proposals"]
    return {
        "stores": set(risks["store_id"]),
        "series_at_risk": int((risks["p_stockout"] >= AT_RISK).sum()),
        "order_lines": len(orders),
        "units_ordered": int(orders["order_qty"].sum()) if len(orders) else 0,
        "stock_checks": Counter(risks["stock_check"].value_counts().to_dict()),
    }


def combine_facts(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two chunks' facts as one: stores united, the longest history kept, counts added."""

    def combined(key: str, a: Any, b: Any) -> Any:
        if isinstance(a, set):
            return a | b
        return max(a, b) if key == "history_days" else a + b

    return {key: combined(key, first[key], second[key]) for key in first}


def run_row(
    as_of: dt.date, facts: dict[str, Any], stores_without_stock: list[str], service_level: float
) -> pd.DataFrame:
    """The run's ``forecast_runs`` row, from its chunks' facts (``chunk_facts``) and the job's counts."""
    summary = {
        "as_of_date": as_of,
        "series": facts.get("series", 0),
        "stores": len(facts.get("stores", ())),
        "history_days": facts.get("history_days", 0),
        "imputed_days": facts.get("imputed_days", 0),
        "stockout_days": facts.get("stockout_days", 0),
        "unconstrained_days": facts.get("unconstrained_days", 0),
        "models_chosen": json.dumps(facts.get("chosen", {}), sort_keys=True),
        "backtest_rmsse": json.dumps(facts.get("backtest", {}), sort_keys=True),
        "models_trained_on": facts.get("models_trained_on"),
        "fallback_series": facts.get("fallback_series", 0),
        "series_at_risk": facts.get("series_at_risk", 0),
        "order_lines": facts.get("order_lines", 0),
        "units_ordered": facts.get("units_ordered", 0),
        "stock_checks": json.dumps(dict(sorted(facts.get("stock_checks", Counter()).items()))),
        "stores_without_stock": json.dumps(stores_without_stock),
        "service_level": service_level,
    }
    return pd.DataFrame([summary])


def exports() -> tuple:
    """The tables as curated exports: ``curated/<table>/date=<D>/<table>.parquet``, the run date's rows."""
    from retail_factory.warehouse.export import Mart

    return tuple(Mart(name.split(".", 1)[1], "forecasts", KEY_COLUMN, schema=SCHEMA) for name in TABLES)
