"""The SQL of the named checks: each query returns the rows that break its rule.

Plain SQL that DuckDB and PostgreSQL both run. ``{batch}`` is GX's placeholder for the rows being
validated (one ingest date of a table). GX inserts it as a bare subquery when the query has a
JOIN and adds its own alias otherwise, so every query here joins and names the batch itself
(``{batch} as batch_rows``). The day being checked is read from the batch (``run_date``): a gate
never asks the clock.
"""

from __future__ import annotations

from collections.abc import Mapping

LOAD_LOG = "raw._load_log"  # one row per loaded blob: rows, per domain, entity and date


def _run_date(date_column: str) -> str:
    return f"run as (select max(batch_rows.{date_column}) as run_date from {{batch}} as batch_rows)"


# The chain closes on 1 January, 1 May and 25 December (month * 100 + day): no volume to judge.
CLOSED_DAYS = (101, 501, 1225)
# Output mass per input mass a process can reach: bread holds water; milk and fruit only lose.
MAX_YIELD_BY_CATEGORY = {"bakery": 1.6}
DEFAULT_MAX_YIELD = 1.0


def _is_closed(date_expression: str) -> str:
    days = ", ".join(str(d) for d in CLOSED_DAYS)
    return f"(extract(month from {date_expression}) * 100 + extract(day from {date_expression})) in ({days})"


def row_count_near_trailing_median(
    domain: str, entity: str, weeks: int = 4, min_ratio: float = 0.5, max_ratio: float = 2.0, min_days: int = 2
) -> str:
    """An entity's rows on the run date against the median of the same weekday over ``weeks`` weeks.

    Row counts come from the load log (rows per loaded blob), so a day with no file at all counts
    zero. The same weekday (``dow``: each engine numbers weekdays its own way, but the same way on
    both sides), because a Saturday sells several times what a Sunday does; closed days
    are neither judged nor part of the median. With fewer than ``min_days`` earlier same weekdays,
    or a median of zero (warehouses do not ship on Sundays), there is no basis: nothing is reported.
    """
    entity_filter = f"log.domain = '{domain}' and log.entity = '{entity}'"
    return f"""
with {_run_date("ingest_date")},
daily as (
    select log.ingest_date, sum(log.rows) as row_count
    from {LOAD_LOG} as log
    cross join run
    where {entity_filter}
        and log.ingest_date between run.run_date - {7 * weeks} and run.run_date
    group by log.ingest_date
),
today as (
    select coalesce(sum(daily.row_count), 0) as row_count
    from daily
    cross join run
    where daily.ingest_date = run.run_date
),
same_weekday as (
    select
        percentile_cont(0.5) within group (order by daily.row_count) as median_rows,
        count(*) as days_seen
    from daily
    cross join run
    where daily.ingest_date < run.run_date
        and extract(dow from daily.ingest_date) = extract(dow from run.run_date)
        and not {_is_closed("daily.ingest_date")}
)
select
    '{domain}.{entity}' as entity,
    run.run_date,
    today.row_count,
    same_weekday.median_rows,
    same_weekday.days_seen,
    {min_ratio} as min_ratio,
    {max_ratio} as max_ratio
from run
cross join today
cross join same_weekday
where same_weekday.days_seen >= {min_days}
    and same_weekday.median_rows > 0
    and not {_is_closed("run.run_date")}
    and (
        today.row_count < {min_ratio} * same_weekday.median_rows
        or today.row_count > {max_ratio} * same_weekday.median_rows
    )
""".strip()


def latest_partition_fresh(domain: str, entity: str, max_age_days: int) -> str:
    """The entity's newest partition with rows is at most ``max_age_days`` older than the run date."""
    return f"""
with {_run_date("ingest_date")},
latest as (
    select max(log.ingest_date) as latest_date
    from {LOAD_LOG} as log
    cross join run
    where log.domain = '{domain}' and log.entity = '{entity}'
        and log.rows > 0
        and log.ingest_date <= run.run_date
)
select
    '{domain}.{entity}' as entity,
    run.run_date,
    latest.latest_date,
    {max_age_days} as max_age_days
from run
cross join latest
where latest.latest_date is null or latest.latest_date < run.run_date - {max_age_days}
""".strip()


def stock_equation(min_units: int = 3, relative: float = 0.2, max_share: float = 0.05) -> str:
    """Store × product rows whose recorded on-hand misses the movements by more than a tolerance.

    A row is off when |gap| > max(``min_units``, ``relative`` × previous on-hand): small gaps are
    everyday shrink and miscounts. The day fails when more than ``max_share`` of its rows with a
    previous day are off (a stock file that does not match the movements, a lost receipt file).
    """
    return f"""
with checked as (
    select
        batch_rows.store_id,
        batch_rows.gtin,
        batch_rows.snapshot_date,
        batch_rows.previous_on_hand_qty,
        batch_rows.received_qty,
        batch_rows.sold_qty,
        batch_rows.waste_qty,
        batch_rows.adjustment_qty,
        batch_rows.on_hand_qty,
        batch_rows.implied_on_hand_qty,
        batch_rows.stock_equation_gap,
        abs(batch_rows.stock_equation_gap) > greatest({min_units}, {relative} * batch_rows.previous_on_hand_qty)
            as is_off
    from {{batch}} as batch_rows
    where batch_rows.previous_on_hand_qty is not null
),
share as (
    select avg(case when checked.is_off then 1.0 else 0.0 end) as off_share
    from checked
)
select checked.*, share.off_share, {max_share} as max_share
from checked
cross join share
where checked.is_off and share.off_share > {max_share}
order by abs(checked.stock_equation_gap) desc
""".strip()


def transformation_mass_balance(
    max_yield_by_category: Mapping[str, float] = MAX_YIELD_BY_CATEGORY, default_max_yield: float = DEFAULT_MAX_YIELD
) -> str:
    """Transformations whose output mass is above input mass × the maximum yield of the process.

    Inputs are counted in kilograms or litres (a litre of milk as a kilogram); outputs are units,
    weighed by their product's net content (grams or millilitres). A bakery turns flour into
    more bread than flour (water); a dairy or a fruit plant cannot make more than it took in.
    """
    cases = " ".join(f"when '{category}' then {value}" for category, value in sorted(max_yield_by_category.items()))
    return f"""
with lines as (
    select
        batch_rows.event_key,
        batch_rows.role,
        batch_rows.quantity,
        batch_rows.uom,
        products.category,
        products.net_content
    from {{batch}} as batch_rows
    left join marts.dim_products as products
        on products.gtin = batch_rows.gtin
    where batch_rows.event_type = 'TransformationEvent'
        and batch_rows.role in ('input', 'output')
        and not batch_rows.is_cancelled
),
balance as (
    select
        lines.event_key,
        sum(case when lines.role = 'input' and lines.uom in ('KGM', 'LTR') then lines.quantity end) as input_kg,
        sum(case when lines.role = 'output' then lines.quantity * lines.net_content / 1000.0 end) as output_kg,
        max(case when lines.role = 'output' then lines.category end) as output_category
    from lines
    group by lines.event_key
)
select
    balance.event_key,
    balance.output_category,
    balance.input_kg,
    balance.output_kg,
    round(balance.output_kg / nullif(balance.input_kg, 0), 3) as observed_yield,
    case balance.output_category {cases} else {default_max_yield} end as max_yield
from balance
where balance.output_kg > coalesce(balance.input_kg, 0)
    * case balance.output_category {cases} else {default_max_yield} end
""".strip()


def receipt_before_shipment() -> str:
    """Receipt lines booked before the shipment line they receive left the warehouse."""
    return """
select
    batch_rows.receipt_id,
    batch_rows.receipt_line,
    batch_rows.shipment_id,
    batch_rows.shipment_line,
    batch_rows.store_id,
    batch_rows.gtin,
    batch_rows.received_at,
    shipments.shipped_at
from {batch} as batch_rows
inner join marts.fct_shipments as shipments
    on shipments.shipment_id = batch_rows.shipment_id
    and shipments.shipment_line = batch_rows.shipment_line
where batch_rows.received_at < shipments.shipped_at
order by batch_rows.receipt_id, batch_rows.receipt_line
""".strip()


def reject_rate(raw_tables: list[str], max_share: float) -> str:
    """Raw tables whose share of the day's rows rejected by staging is above ``max_share``.

    ``raw_tables``: the raw tables' names in ``raw`` (``retail__pos``…), counted for the run date.
    """
    counts = "\n    union all\n    ".join(
        f"select '{name}' as source_table, count(*) as raw_rows from raw.{name} as raw_rows_{i} "
        f"cross join run where raw_rows_{i}._ingest_date = run.run_date"
        for i, name in enumerate(raw_tables)
    )
    return f"""
with {_run_date("ingest_date")},
rejected as (
    select batch_rows.source_table, count(*) as rejected_rows
    from {{batch}} as batch_rows
    group by batch_rows.source_table
),
loaded as (
    {counts}
)
select
    rejected.source_table,
    run.run_date,
    rejected.rejected_rows,
    loaded.raw_rows,
    round(1.0 * rejected.rejected_rows / nullif(loaded.raw_rows, 0), 4) as reject_share,
    {max_share} as max_share
from rejected
cross join run
left join loaded
    on loaded.source_table = rejected.source_table
where rejected.rejected_rows > {max_share} * coalesce(loaded.raw_rows, 0)
order by reject_share desc
""".strip()


def genealogy_issues(issue_type: str) -> str:
    """The genealogy's consistency issues of one kind (``trace.consistency_issues``), newest first.

    No join, so GX names the batch itself (``subselect``): the columns are left unqualified.
    """
    return f"""
select issue_type, lot_key, location_id, reference_id, issue_date, detail
from {{batch}}
where issue_type = '{issue_type}'
order by issue_date desc, lot_key
""".strip()
