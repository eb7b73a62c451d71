"""Export the public marts as Parquet to ``curated/<mart>/date=<D>/<mart>.parquet``.

A fact is exported for its date D (the rows of that business date); a dimension or a small mart
as a whole, as it stood after D was built. Each export overwrites its blob, so re-running a date
gives the same files. Analysts and BI tools read them in place (DuckDB, Spark, pandas, Power BI).
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from retail_factory.config import get_settings
from retail_factory.storage import storage_guard

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

    from retail_factory.warehouse.connections import Warehouse

log = logging.getLogger(__name__)
MARTS_SCHEMA = "marts"


@dataclass(frozen=True)
class Mart:
    name: str
    product: str  # the curated Asset it belongs to (assets.CURATED_PRODUCTS)
    date_column: str | None = None  # None: exported whole
    schema: str = MARTS_SCHEMA

    def select_sql(self, placeholder: str) -> str:
        where = f" where {self.date_column} = {placeholder}" if self.date_column else ""
        return f"select * from {self.schema}.{self.name}{where}"


PUBLIC_MARTS: tuple[Mart, ...] = (
    Mart("dim_dates", "stock"),
    Mart("dim_stores", "stock"),
    Mart("dim_products", "stock"),
    Mart("dim_producers", "traceability"),
    Mart("dim_locations", "traceability"),
    Mart("fct_sales_daily", "stock", "sold_date"),
    Mart("fct_inventory_daily", "stock", "snapshot_date"),
    Mart("fct_promotions", "stock", "announced_on"),
    Mart("fct_store_orders", "stock", "ordered_date"),
    Mart("fct_shipments", "stock", "shipped_date"),
    Mart("fct_receipts", "stock", "received_date"),
    Mart("fct_lead_times", "stock", "received_date"),
    Mart("fct_shelf_availability_daily", "stock", "snapshot_date"),
    Mart("fct_supplier_otif", "stock"),  # weekly rates, small: exported whole
    Mart("fct_lot_events", "traceability", "event_date"),
    Mart("fct_lot_links", "traceability", "link_date"),
    Mart("fct_rejected_rows", "stock", "ingest_date"),
    Mart("dim_product_origins", "stock"),
    Mart("dim_healthier_swaps", "stock"),
    Mart("fct_basket_health_weekly", "stock"),  # weekly, small: exported whole
    Mart("fct_nutrition_rejections", "stock"),
)


def curated_blob(mart: Mart, day: dt.date) -> str:
    return f"{mart.name}/date={day.isoformat()}/{mart.name}.parquet"


def export_marts(
    warehouse: Warehouse, service: BlobServiceClient, day: dt.date, marts: tuple[Mart, ...] = PUBLIC_MARTS
) -> dict[str, dict[str, object]]:
    """Export every mart for ``day``; returns mart → {blob, rows, product}."""
    container = service.get_container_client(get_settings().curated_container)
    exported: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="retail-factory-export-") as tmp:
        for mart in marts:
            path = Path(tmp) / f"{mart.name}.parquet"
            rows = warehouse.write_parquet(mart.select_sql("?"), [day] if mart.date_column else [], path)
            blob = curated_blob(mart, day)
            with storage_guard(service, f"exporting {mart.name}"), path.open("rb") as data:
                container.upload_blob(blob, data, overwrite=True, metadata={"rows": str(rows), "date": day.isoformat()})
            exported[mart.name] = {"blob": f"{container.container_name}/{blob}", "rows": rows, "product": mart.product}
            log.info("exported %s for %s: %d rows → curated/%s", mart.name, day, rows, blob)
    return exported
