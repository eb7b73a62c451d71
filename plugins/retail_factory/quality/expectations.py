"""Custom Great Expectations for the retail trade, where GX Core has none.

Two kinds, both GX's own extension points (importing this module registers them, so suites that
name them load):

* column map expectations (a SQL condition per value, with ``mostly``): a GTIN's check digit, a
  value present in a reference table;
* named SQL checks: subclasses of GX's ``UnexpectedRowsExpectation`` whose query returns the rows
  that break a rule (the stock equation, mass balance of a transformation, a receipt before its
  shipment, a row count far from the trailing median, a stale partition, a high reject rate, an
  inconsistent lot genealogy). The
  SQL lives in the suite, written by :mod:`retail_factory.quality.checks`; the class gives the
  rule its name in results and Data Docs. Unlike GX's base class, a failure keeps a sample of the
  offending rows even in the SUMMARY result format, so a failed gate can show them.
"""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.core.unexpected_rows_expectation import UnexpectedRowsExpectation
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial

from retail_factory import gs1

SAMPLE_ROWS = 20  # offending rows kept in a failed result


# --- GTIN check digit -------------------------------------------------------------------------


def gtin_is_valid(column: Any) -> Any:
    """SQL condition: GTIN-8/12/13/14, digits only, with a valid mod-10 check digit.

    Plain SQL (lpad, substr, translate, cast) that DuckDB and PostgreSQL both run; the case guards
    the casts so that a value with letters is false, never a cast error. Same rule as the dbt
    macro ``is_valid_gtin`` and :func:`retail_factory.gs1.is_gtin`.
    """
    padded = sa.func.lpad(column, 14, "0")

    def digit(position: int) -> Any:
        return sa.cast(sa.func.substr(padded, position, 1), sa.Integer)

    weighted = sum((digit(p) * (3 if p % 2 == 1 else 1) for p in range(1, 14)), sa.literal(0))
    is_digits = sa.func.length(sa.func.translate(column, "0123456789", "")) == 0
    return sa.case(
        (
            sa.and_(is_digits, sa.func.length(column).in_([8, 12, 13, 14])),
            (10 - weighted % 10) % 10 == digit(14),
        ),
        else_=sa.false(),
    )


class ColumnValuesValidGtin(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_gtin"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: Any, **kwargs: Any) -> Any:
        return column.astype(str).map(gs1.is_gtin)

    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column: Any, **kwargs: Any) -> Any:
        return gtin_is_valid(column)


class ExpectColumnValuesToBeValidGtin(ColumnMapExpectation):
    """Expect column values to be GTINs (8, 12, 13 or 14 digits) with a valid GS1 check digit."""

    map_metric: ClassVar[str] = "column_values.valid_gtin"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


# --- value present in a reference table --------------------------------------------------------


def in_reference_table(column: Any, reference_table: str, reference_column: str) -> Any:
    """SQL condition: the value is one of ``reference_table.reference_column``.

    ``exists``, correlated on equality, not ``column in (select …)``: GX counts the values that fail
    as ``not (condition)``, and ``not in`` is null-aware. A null in the reference column made it
    unknown for every value, so no value failed, on every engine; and Spark runs it outside a
    ``where`` as a nested loop over both tables (no hash join on ``a = b or (a = b) is null``): at
    2,000 × 2,000 the raw gate was 13 minutes into one such join when it was stopped
    (docs/scale.md). An ``exists`` is an equi-join everywhere. The reference column is renamed so
    that the bare outer column cannot bind to it.
    """
    schema, _, name = reference_table.rpartition(".")
    known = (
        sa.select(sa.column(reference_column).label("reference_value"))
        .select_from(sa.table(name, schema=schema or None))
        .subquery("reference")
    )
    return sa.exists().where(known.c.reference_value == column)


class ColumnValuesInReferenceTable(ColumnMapMetricProvider):
    condition_metric_name = "column_values.in_reference_table"
    condition_value_keys = ("reference_table", "reference_column")

    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column: Any, reference_table: str, reference_column: str, **kwargs: Any) -> Any:
        return in_reference_table(column, reference_table, reference_column)


class ExpectColumnValuesToBeInReferenceTable(ColumnMapExpectation):
    """Expect column values to exist in a column of another table (a store or product in its dimension)."""

    reference_table: str
    reference_column: str

    map_metric: ClassVar[str] = "column_values.in_reference_table"
    success_keys: ClassVar[tuple[str, ...]] = ("reference_table", "reference_column", "mostly")


# --- named SQL checks --------------------------------------------------------------------------


class _RowsBreakingARule(UnexpectedRowsExpectation):
    """Base of the named SQL checks: keeps a sample of the offending rows in every result format."""

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: Any = None) -> Any:
        result = super()._validate(metrics, runtime_configuration, execution_engine)
        rows = metrics.get("unexpected_rows_query.table") or []
        if isinstance(result, dict) and not result.get("success") and "result" in result:
            result["result"].setdefault("details", {})["unexpected_rows"] = [dict(r) for r in rows[:SAMPLE_ROWS]]
        return result


class ExpectDailyRowCountNearTrailingMedian(_RowsBreakingARule):
    """Expect a day's row count within a band around the median of the same weekday in the weeks before."""


class ExpectLatestPartitionToBeFresh(_RowsBreakingARule):
    """Expect the newest business timestamp of a partition to be close to its ingest date."""


class ExpectStockEquationToHold(_RowsBreakingARule):
    """Expect on-hand = previous on-hand + received − sold − waste ± adjustments, within a tolerance."""


class ExpectTransformationMassBalance(_RowsBreakingARule):
    """Expect a transformation's output mass not above its input mass times the process's maximum yield."""


class ExpectNoReceiptBeforeShipment(_RowsBreakingARule):
    """Expect every store receipt line to be booked after the shipment it receives."""


class ExpectRejectRateBelowThreshold(_RowsBreakingARule):
    """Expect the share of a day's raw rows rejected by staging to stay under a threshold, per table."""


class ExpectGenealogyToBeConsistent(_RowsBreakingARule):
    """Expect no lot of the genealogy to break one consistency rule (``trace.consistency_issues`` of a kind)."""


CUSTOM_EXPECTATIONS = (
    ExpectColumnValuesToBeValidGtin,
    ExpectColumnValuesToBeInReferenceTable,
    ExpectDailyRowCountNearTrailingMedian,
    ExpectLatestPartitionToBeFresh,
    ExpectStockEquationToHold,
    ExpectTransformationMassBalance,
    ExpectNoReceiptBeforeShipment,
    ExpectRejectRateBelowThreshold,
    ExpectGenealogyToBeConsistent,
)
