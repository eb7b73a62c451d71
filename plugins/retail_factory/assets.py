"""The Airflow Assets the DAGs meet through: one per landed domain (more come with later steps)."""

from __future__ import annotations

from airflow.sdk import Asset

from retail_factory.config import DOMAINS


def raw_asset(domain: str) -> Asset:
    """Raw files of ``domain`` landed for a date; events carry the date as their partition key."""
    return Asset(name=f"raw_{domain}", uri=f"wasb://raw/{domain}", group="raw")


RAW_ASSETS: dict[str, Asset] = {domain: raw_asset(domain) for domain in DOMAINS}
