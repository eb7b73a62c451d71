"""The Airflow Assets the DAGs meet through.

``raw_<domain>``: a domain's files landed for a date (emitted by ``land_<domain>``).
``curated_<product>``: the marts a data product reads, built and exported for a date (emitted by
``transform``). ``stockout_forecasts``: the forecasting job's tables for a date (emitted by
``forecast_stockouts``). Events carry the business date as their partition key.
"""

from __future__ import annotations

from airflow.sdk import Asset

from retail_factory.config import DOMAINS

# Which data product reads which curated Asset (the marts behind each: warehouse/export.py).
CURATED_PRODUCTS = ("stock", "traceability")


def raw_asset(domain: str) -> Asset:
    """Raw files of ``domain`` landed for a date; events carry the date as their partition key."""
    return Asset(name=f"raw_{domain}", uri=f"wasb://raw/{domain}", group="raw")


def curated_asset(product: str) -> Asset:
    """The curated marts of one data product, rebuilt and exported for a date."""
    return Asset(name=f"curated_{product}", uri=f"wasb://curated/{product}", group="curated")


RAW_ASSETS: dict[str, Asset] = {domain: raw_asset(domain) for domain in DOMAINS}
CURATED_ASSETS: dict[str, Asset] = {product: curated_asset(product) for product in CURATED_PRODUCTS}
FORECAST_ASSET = Asset(name="stockout_forecasts", uri="wasb://curated/forecasts", group="forecasts")
