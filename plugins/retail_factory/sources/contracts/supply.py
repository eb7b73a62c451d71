"""Contracts of the supply domain: warehouses, orders, shipments, receipts, producer deliveries."""

from __future__ import annotations

from retail_factory.sources.contracts.model import Column, Contract
from retail_factory.sources.contracts.retail import SNAPSHOT_DATE


def _lot() -> Column:
    return Column("lot", "string", "Lot (batch) code as printed, GS1 AI (10).", max_length=20)


WAREHOUSES = Contract(
    domain="supply",
    entity="warehouses",
    version="1.0.0",
    format="jsonl",
    kind="snapshot",
    description="The chain's warehouses, one JSON object per line, delivered daily as a full snapshot.",
    file_example="warehouses_2025-01-06.jsonl",
    primary_key=("warehouse_gln",),
    business_date="snapshot_date",
    columns=(
        Column("warehouse_gln", "gln", "GLN of the warehouse."),
        Column("name", "string", "Warehouse name."),
        Column("region", "string", "Region it serves."),
        Column("city", "string", "City."),
        Column("latitude", "decimal", "WGS 84 latitude.", unit="degree"),
        Column("longitude", "decimal", "WGS 84 longitude.", unit="degree"),
        SNAPSHOT_DATE,
    ),
)

STORE_ORDERS = Contract(
    domain="supply",
    entity="store_orders",
    version="1.0.0",
    format="csv",
    kind="event",
    description="Replenishment orders the stores placed on the day, one line per product.",
    file_example="store_orders_2025-01-06.csv",
    primary_key=("order_id", "order_line"),
    business_date="ordered_at",
    columns=(
        Column("order_id", "string", "Order identifier.", max_length=40),
        Column("order_line", "integer", "Line of the order, from 1."),
        Column("store_gln", "gln", "Ordering store."),
        Column("warehouse_gln", "gln", "Warehouse asked to deliver."),
        Column("gtin", "gtin", "Product ordered."),
        Column("quantity", "integer", "Units ordered (a whole number of cases).", unit="units"),
        Column("case_size", "integer", "Units per case.", unit="units"),
        Column("ordered_at", "timestamp", "When the order was sent, local time with offset."),
        Column("requested_delivery_date", "date", "Delivery date the store expects."),
    ),
)

SHIPMENTS = Contract(
    domain="supply",
    entity="shipments",
    version="1.0.0",
    format="csv",
    kind="event",
    description=(
        "What one warehouse shipped to stores on the day: one line per product and lot, each on a roll "
        "cage or pallet identified by its SSCC."
    ),
    file_example="shipments_3760001900015_2025-01-06.csv",
    primary_key=("shipment_id", "shipment_line"),
    business_date="shipped_at",
    columns=(
        Column("shipment_id", "string", "Shipment (despatch advice) identifier.", max_length=40),
        Column("shipment_line", "integer", "Line of the shipment, from 1."),
        Column("sscc", "sscc", "SSCC of the logistic unit carrying the line."),
        Column("order_id", "string", "Store order served."),
        Column("order_line", "integer", "Line of the store order served."),
        Column("warehouse_gln", "gln", "Shipping warehouse."),
        Column("store_gln", "gln", "Destination store."),
        Column("gtin", "gtin", "Product."),
        _lot(),
        Column("best_before_date", "date", "Best-before or use-by date of the lot."),
        Column("quantity", "integer", "Units shipped.", unit="units"),
        Column("shipped_at", "timestamp", "Departure, local time with offset."),
        Column("expected_delivery_date", "date", "Planned arrival date at the store."),
    ),
)

RECEIPTS = Contract(
    domain="supply",
    entity="receipts",
    version="1.0.0",
    format="csv",
    kind="event",
    description="Goods the stores booked in on the day, per shipment, SSCC, product and lot.",
    file_example="receipts_2025-01-06.csv",
    primary_key=("receipt_id", "receipt_line"),
    business_date="received_at",
    columns=(
        Column("receipt_id", "string", "Receipt identifier.", max_length=40),
        Column("receipt_line", "integer", "Line of the receipt, from 1."),
        Column("shipment_id", "string", "Shipment received."),
        Column("sscc", "sscc", "SSCC of the logistic unit received."),
        Column("store_gln", "gln", "Receiving store."),
        Column("gtin", "gtin", "Product."),
        _lot(),
        Column("quantity", "integer", "Units booked in.", unit="units"),
        Column("received_at", "timestamp", "Booking time, local time with offset."),
    ),
)

PURCHASE_ORDERS = Contract(
    domain="supply",
    entity="purchase_orders",
    version="1.0.0",
    format="csv",
    kind="event",
    description="Orders the warehouses placed with producers on the day.",
    file_example="purchase_orders_2025-01-06.csv",
    primary_key=("po_id", "po_line"),
    business_date="ordered_at",
    columns=(
        Column("po_id", "string", "Purchase order identifier.", max_length=40),
        Column("po_line", "integer", "Line of the purchase order, from 1."),
        Column("warehouse_gln", "gln", "Ordering warehouse."),
        Column("producer_gln", "gln", "Producer asked to deliver."),
        Column("gtin", "gtin", "Product."),
        Column("quantity", "integer", "Units ordered.", unit="units"),
        Column("ordered_at", "timestamp", "When the order was sent, local time with offset."),
        Column("due_date", "date", "Delivery date agreed with the producer."),
    ),
)

PRODUCER_DELIVERIES = Contract(
    domain="supply",
    entity="producer_deliveries",
    version="1.0.0",
    format="csv",
    kind="event",
    description="Pallets producers delivered into one warehouse on the day, per SSCC, product and lot.",
    file_example="producer_deliveries_3760001900015_2025-01-06.csv",
    primary_key=("delivery_id", "delivery_line"),
    business_date="delivered_at",
    columns=(
        Column("delivery_id", "string", "Delivery (despatch advice) identifier.", max_length=40),
        Column("delivery_line", "integer", "Line of the delivery, from 1."),
        Column("po_id", "string", "Purchase order served."),
        Column("po_line", "integer", "Line of the purchase order served."),
        Column("producer_gln", "gln", "Delivering producer."),
        Column("warehouse_gln", "gln", "Receiving warehouse."),
        Column("sscc", "sscc", "SSCC of the pallet."),
        Column("gtin", "gtin", "Product."),
        _lot(),
        Column("production_date", "date", "Production date of the lot."),
        Column("best_before_date", "date", "Best-before or use-by date of the lot."),
        Column("quantity", "integer", "Units delivered.", unit="units"),
        Column("delivered_at", "timestamp", "Arrival, local time with offset."),
    ),
)

CONTRACTS = (WAREHOUSES, STORE_ORDERS, SHIPMENTS, RECEIPTS, PURCHASE_ORDERS, PRODUCER_DELIVERIES)
