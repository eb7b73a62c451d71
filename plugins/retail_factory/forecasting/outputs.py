"""The forecasting job's tables in the warehouse (schema ``ml``), one set of rows per run date.

Each run replaces its date's rows in every table in one transaction, so re-running a date gives
the same tables and an analyst never sees half a run. Columns are declared here, once: the
warehouse creates the tables from them (DuckDB and PostgreSQL alike) and the exports carry them.
"""

from __future__ import annotations

SCHEMA = "ml"
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
    "available": "integer",  # on hand plus in transit
    "service_level": "double precision",
    "capped_by_shelf_life": "boolean",
}

DETECTED_STOCKOUTS = {
    "as_of_date": "date",
    "store_id": "varchar",
    "gtin": "varchar",
    "stockout_date": "date",
    "detected_by": "varchar",  # records, sales, both
    "is_phantom_stock": "boolean",  # sales say empty, records say units on hand
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


def exports() -> tuple:
    """The tables as curated exports: ``curated/<table>/date=<D>/<table>.parquet``, the run date's rows."""
    from retail_factory.warehouse.export import Mart

    return tuple(Mart(name.split(".", 1)[1], "forecasts", KEY_COLUMN, schema=SCHEMA) for name in TABLES)
