"""The expectation suites of the quality gates, declared once, written to ``expectations/``.

* **raw gate** (after the load, before dbt): a suite per raw table (its contract's columns, keys,
  GTIN check digits, stores and products known to the catalogs) and one over the load log (each
  entity's row count against the trailing median of the same weekday, freshness of its latest
  partition);
* **curated gate** (after dbt, before the curated Assets): a suite per public mart (keys, links to
  the dimensions, ranges) with the checks of the trade: the stock equation, no receipt before its
  shipment, mass balance of every transformation, the staging reject rate;
* **trace gate** (in ``trace_lots``, after the genealogy is rebuilt): the genealogy's consistency
  report (``trace.consistency_issues``), one expectation per kind of issue. Warnings only: they
  are reported with the offending lots, never hidden, but a trace or a recall must still run on
  imperfect data (the curated gate already blocks a day whose transformations break mass balance).

Each expectation has a GX severity: ``critical`` fails the gate, ``warning`` is reported. The
suites are plain data: ``retail-factory quality write-context`` writes them (with validation
definitions and checkpoints) as JSON into the GX file context that the DAGs and tests read, and a
test fails when the committed files differ from what this module declares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import great_expectations.expectations as gxe

from retail_factory.quality import checks
from retail_factory.quality.expectations import (
    ExpectColumnValuesToBeInReferenceTable,
    ExpectColumnValuesToBeValidGtin,
    ExpectDailyRowCountNearTrailingMedian,
    ExpectGenealogyToBeConsistent,
    ExpectLatestPartitionToBeFresh,
    ExpectNoReceiptBeforeShipment,
    ExpectRejectRateBelowThreshold,
    ExpectStockEquationToHold,
    ExpectTransformationMassBalance,
)
from retail_factory.sources.contracts import ALL_CONTRACTS, Contract
from retail_factory.warehouse.raw_tables import EPCIS_TABLES, LOAD_LOG_TABLE, RawTable, raw_tables, table_for

CRITICAL = "critical"
WARNING = "warning"

RAW_GATE = "raw_gate"
CURATED_GATE = "curated_gate"
TRACE_GATE = "trace_gate"

# Bad rows are rejected one by one in staging; the gate fails when they stop being exceptions.
MAX_BAD_SHARE = 0.01
MAX_REJECT_SHARE = 0.05

# Entities the stockout forecast cannot do without: a thin or stale delivery blocks the chain.
ESSENTIAL_ENTITIES = {("retail", "pos"), ("retail", "stock"), ("retail", "stores"), ("retail", "products")}
# ...and those that must have rows every day: every store counts its stock, even on a closed day
# (no till runs then, so POS is judged by its volume and freshness instead; a catalog snapshot can
# wait a day: yesterday's holds).
DAILY_ENTITIES = {("retail", "stock")}

# Where a raw table's stores and products must be known: the day's catalogs as landed.
RAW_REFERENCES = {
    "store_gln": ("raw.retail__stores", "store_gln"),
    "gtin": ("raw.retail__products", "gtin"),
}
RAW_REFERENCED_BY = {
    ("retail", "pos"): ("store_gln", "gtin"),
    ("retail", "stock"): ("store_gln", "gtin"),
    ("retail", "promotions"): ("gtin",),
    ("supply", "store_orders"): ("store_gln", "gtin"),
    ("supply", "shipments"): ("store_gln", "gtin"),
    ("supply", "receipts"): ("store_gln", "gtin"),
}


@dataclass(frozen=True)
class SuiteSpec:
    """One suite: the table it validates, how a day of it is selected, and its expectations."""

    name: str  # also the data asset's and the validation definition's name
    schema: str
    table: str
    gate: str
    expectations: list[Any] = field(default_factory=list)
    partition_column: str | None = None  # None: the whole table is validated
    rows_required: bool = False  # a day without rows fails the gate

    @property
    def meta(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "table": f"{self.schema}.{self.table}",
            "partition_column": self.partition_column,
            "rows_required": self.rows_required,
        }


def _gtin_checks(column: str) -> list[Any]:
    return [
        ExpectColumnValuesToBeValidGtin(column=column, mostly=1 - MAX_BAD_SHARE, severity=CRITICAL),
        ExpectColumnValuesToBeValidGtin(column=column, severity=WARNING),
    ]


def _reference_checks(column: str, table: str, reference_column: str) -> list[Any]:
    kwargs = {"column": column, "reference_table": table, "reference_column": reference_column}
    return [
        ExpectColumnValuesToBeInReferenceTable(**kwargs, mostly=1 - MAX_BAD_SHARE, severity=CRITICAL),
        ExpectColumnValuesToBeInReferenceTable(**kwargs, severity=WARNING),
    ]


def _raw_contract_suite(contract: Contract) -> SuiteSpec:
    table = table_for(contract)
    expectations: list[Any] = [
        gxe.ExpectTableColumnsToMatchSet(column_set=list(table.all_columns), exact_match=True, severity=CRITICAL),
    ]
    for key in contract.primary_key:
        expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=key, mostly=1 - MAX_BAD_SHARE, severity=CRITICAL))
    if len(contract.primary_key) > 1:
        expectations.append(
            gxe.ExpectCompoundColumnsToBeUnique(column_list=list(contract.primary_key), severity=WARNING)
        )
    elif contract.primary_key:
        expectations.append(gxe.ExpectColumnValuesToBeUnique(column=contract.primary_key[0], severity=WARNING))
    for column in contract.columns:
        if column.type == "gtin":
            expectations.extend(_gtin_checks(column.name))
    for column in RAW_REFERENCED_BY.get((contract.domain, contract.entity), ()):
        expectations.extend(_reference_checks(column, *RAW_REFERENCES[column]))
    return _raw_suite(table, expectations, rows_required=(contract.domain, contract.entity) in DAILY_ENTITIES)


def _raw_epcis_suite(table: RawTable) -> SuiteSpec:
    expectations: list[Any] = [
        gxe.ExpectTableColumnsToMatchSet(column_set=list(table.all_columns), exact_match=True, severity=CRITICAL),
        gxe.ExpectColumnValuesToNotBeNull(column="event_key", severity=CRITICAL),
    ]
    if table.entity == "epcis_events":
        expectations.append(gxe.ExpectColumnValuesToBeUnique(column="event_key", severity=WARNING))
    return _raw_suite(table, expectations, rows_required=False)


def _raw_suite(table: RawTable, expectations: list[Any], rows_required: bool) -> SuiteSpec:
    return SuiteSpec(
        name=table.qualified_name,
        schema="raw",
        table=table.name,
        gate=RAW_GATE,
        expectations=expectations,
        partition_column="_ingest_date",
        rows_required=rows_required,
    )


def _load_log_suite() -> SuiteSpec:
    """Batch health from the load log: each entity's volume and the age of its latest partition."""
    expectations: list[Any] = []
    entities = [(c.domain, c.entity) for c in ALL_CONTRACTS]
    for domain, entity in entities:
        essential = (domain, entity) in ESSENTIAL_ENTITIES
        severity = CRITICAL if essential else WARNING
        expectations.append(
            ExpectDailyRowCountNearTrailingMedian(
                unexpected_rows_query=checks.row_count_near_trailing_median(domain, entity),
                description=f"{domain}.{entity}: rows of the day within 0.5-2x the median of the same weekday",
                severity=severity,
            )
        )
        expectations.append(
            ExpectLatestPartitionToBeFresh(
                unexpected_rows_query=checks.latest_partition_fresh(domain, entity, 1 if essential else 7),
                description=f"{domain}.{entity}: a partition with rows in the last {1 if essential else 7} day(s)",
                severity=severity,
            )
        )
    schema, _, table = LOAD_LOG_TABLE.partition(".")
    return SuiteSpec(
        name=LOAD_LOG_TABLE,
        schema=schema,
        table=table,
        gate=RAW_GATE,
        expectations=expectations,
        partition_column="ingest_date",
        rows_required=True,  # nothing loaded at all for the day
    )


def raw_suites() -> list[SuiteSpec]:
    tabular = [_raw_contract_suite(c) for c in ALL_CONTRACTS if c.format != "epcis"]
    return [*tabular, *(_raw_epcis_suite(t) for t in EPCIS_TABLES.values()), _load_log_suite()]


# --- curated -----------------------------------------------------------------------------------


def _not_null(*columns: str) -> list[Any]:
    return [gxe.ExpectColumnValuesToNotBeNull(column=c, severity=CRITICAL) for c in columns]


def _unique(*columns: str) -> Any:
    if len(columns) == 1:
        return gxe.ExpectColumnValuesToBeUnique(column=columns[0], severity=CRITICAL)
    return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(columns), severity=CRITICAL)


def _key(*columns: str) -> list[Any]:
    return [*_not_null(*columns), _unique(*columns)]


def _in_dimension(column: str, dimension: str, dimension_column: str | None = None) -> Any:
    return ExpectColumnValuesToBeInReferenceTable(
        column=column,
        reference_table=f"marts.{dimension}",
        reference_column=dimension_column or column,
        severity=CRITICAL,
    )


def _at_least(column: str, minimum: float, severity: str = CRITICAL) -> Any:
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=minimum, severity=severity)


def _store_product(store: str = "store_id") -> list[Any]:
    return [_in_dimension(store, "dim_stores", "store_id"), _in_dimension("gtin", "dim_products")]


def _mart(name: str, expectations: list[Any], daily: bool = True, rows_required: bool = False) -> SuiteSpec:
    return SuiteSpec(
        name=f"marts.{name}",
        schema="marts",
        table=name,
        gate=CURATED_GATE,
        expectations=expectations,
        partition_column="ingest_date" if daily else None,
        rows_required=rows_required,
    )


MIN_GRADED_SHARE = 0.95  # of the catalog, with a Nutri-Score (or non-food): below, the feed is suspect


def curated_suites() -> list[SuiteSpec]:
    raw_names = [t.name for t in raw_tables()]
    return [
        _mart("dim_dates", _key("date_day"), daily=False),
        _mart("dim_stores", [*_key("store_id"), *_not_null("warehouse_id", "region")], daily=False),
        _mart(
            "dim_products",
            [
                *_key("gtin"),
                ExpectColumnValuesToBeValidGtin(column="gtin", severity=CRITICAL),
                _at_least("price_eur", 0),
                *_not_null("nutriscore_grade"),
                # batch health of the catalog feed: most products have a grade (unknown: facts missing
                # or impossible, each listed in fct_nutrition_rejections or nutriscore_missing_fields)
                gxe.ExpectColumnValuesToBeInSet(
                    column="nutriscore_grade",
                    value_set=["a", "b", "c", "d", "e", "not-applicable"],
                    mostly=MIN_GRADED_SHARE,
                    severity=WARNING,
                ),
            ],
            daily=False,
        ),
        _mart(
            "dim_product_origins",
            [
                *_key("gtin"),
                _in_dimension("gtin", "dim_products"),
                gxe.ExpectColumnValuesToBeBetween(
                    column="farm_traced_share", min_value=0, max_value=1, severity=CRITICAL
                ),
            ],
            daily=False,
        ),
        _mart("dim_healthier_swaps", [*_key("store_id", "gtin", "swap_gtin"), *_store_product()], daily=False),
        _mart(
            "fct_basket_health_weekly",
            [
                *_key("store_id", "week_start_date"),
                _in_dimension("store_id", "dim_stores"),
                gxe.ExpectColumnValuesToBeBetween(
                    column="healthy_units_share", min_value=0, max_value=1, severity=CRITICAL
                ),
            ],
            daily=False,
        ),
        _mart("fct_nutrition_rejections", [*_key("gtin"), *_not_null("rejection_reason", "source_blob")], daily=False),
        _mart("dim_producers", _key("producer_id"), daily=False),
        _mart("dim_locations", _key("location_id"), daily=False),
        _mart(
            "fct_sales_daily",
            [
                *_key("store_id", "gtin", "sold_date"),
                *_store_product(),
                _at_least("units_sold", 0),
                _at_least("revenue_eur", 0),
            ],
        ),
        _mart(
            "fct_inventory_daily",
            [
                *_key("store_id", "gtin", "snapshot_date"),
                *_store_product(),
                _at_least("on_hand_qty", 0),
                ExpectStockEquationToHold(
                    unexpected_rows_query=checks.stock_equation(),
                    description="on-hand = previous + received - sold - waste + adjustments (rows off by "
                    "more than max(3, 20% of the previous on-hand) stay under 5% of the day)",
                    severity=CRITICAL,
                ),
            ],
            rows_required=True,
        ),
        _mart(
            "fct_promotions",
            [
                *_key("promo_id", "gtin"),
                _in_dimension("gtin", "dim_products"),
                gxe.ExpectColumnValuesToBeBetween(column="discount_pct", min_value=0, max_value=100, severity=CRITICAL),
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="end_date", column_B="start_date", or_equal=True, severity=CRITICAL
                ),
            ],
        ),
        _mart("fct_store_orders", [*_key("order_id", "order_line"), *_store_product(), _at_least("ordered_qty", 1)]),
        _mart("fct_shipments", [*_key("shipment_id", "shipment_line"), *_store_product(), _at_least("shipped_qty", 1)]),
        _mart(
            "fct_receipts",
            [
                *_key("receipt_id", "receipt_line"),
                *_store_product(),
                _at_least("received_qty", 0),
                ExpectNoReceiptBeforeShipment(
                    unexpected_rows_query=checks.receipt_before_shipment(),
                    description="no store receipt booked before its shipment left the warehouse",
                    severity=CRITICAL,
                ),
            ],
        ),
        _mart("fct_lead_times", [*_key("flow", "order_id", "order_line"), _at_least("lead_time_days", 0, WARNING)]),
        _mart("fct_shelf_availability_daily", [*_key("store_id", "snapshot_date")]),
        _mart("fct_supplier_otif", _key("flow", "supplier_id", "iso_year", "iso_week"), daily=False),
        _mart(
            "fct_lot_events",
            [
                *_not_null("event_key", "event_type"),
                ExpectTransformationMassBalance(
                    unexpected_rows_query=checks.transformation_mass_balance(),
                    description="a transformation's output mass is at most its input mass x the maximum yield",
                    severity=CRITICAL,
                ),
            ],
        ),
        _mart("fct_lot_links", [*_key("link_id")]),
        _mart(
            "fct_rejected_rows",
            [
                *_not_null("source_table", "rejection_code", "rejection_reason"),
                ExpectRejectRateBelowThreshold(
                    unexpected_rows_query=checks.reject_rate(raw_names, MAX_REJECT_SHARE),
                    description=f"staging rejects at most {MAX_REJECT_SHARE:.0%} of a raw table's rows of the day",
                    severity=CRITICAL,
                ),
                ExpectRejectRateBelowThreshold(
                    unexpected_rows_query=checks.reject_rate(raw_names, MAX_BAD_SHARE),
                    description=f"staging rejects at most {MAX_BAD_SHARE:.0%} of a raw table's rows of the day",
                    severity=WARNING,
                ),
            ],
        ),
    ]


def trace_suites() -> list[SuiteSpec]:
    from retail_factory.traceability.genealogy import ISSUE_TYPES, SCHEMA

    checks_of_kind = [
        ExpectGenealogyToBeConsistent(
            unexpected_rows_query=checks.genealogy_issues(kind), description=description, severity=WARNING
        )
        for kind, description in ISSUE_TYPES.items()
    ]
    return [SuiteSpec(f"{SCHEMA}.consistency_issues", SCHEMA, "consistency_issues", TRACE_GATE, checks_of_kind)]


def all_suites() -> list[SuiteSpec]:
    return [*raw_suites(), *curated_suites(), *trace_suites()]
