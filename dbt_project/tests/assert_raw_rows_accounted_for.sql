{#- Nothing disappears between raw and staging: for every raw table and ingest date,
    raw rows = rows in its stg model + its rows in fct_rejected_rows. Returns the dates that differ.

    A dated run checks the ingest dates it rebuilt (run_date and its lookback), so the test's cost
    does not grow with the history; a run without run_date checks every date. -#}
{%- set tables = [
    ('retail', 'stores', 'stg_retail__stores'),
    ('retail', 'products', 'stg_retail__products'),
    ('retail', 'pos', 'stg_retail__pos_lines'),
    ('retail', 'stock', 'stg_retail__stock_levels'),
    ('retail', 'promotions', 'stg_retail__promotions'),
    ('supply', 'warehouses', 'stg_supply__warehouses'),
    ('supply', 'store_orders', 'stg_supply__store_orders'),
    ('supply', 'shipments', 'stg_supply__shipments'),
    ('supply', 'receipts', 'stg_supply__receipts'),
    ('supply', 'purchase_orders', 'stg_supply__purchase_orders'),
    ('supply', 'producer_deliveries', 'stg_supply__producer_deliveries'),
    ('producer', 'producers', 'stg_producer__producers'),
    ('producer', 'farms', 'stg_producer__farms'),
    ('producer', 'epcis_events', 'stg_producer__epcis_events'),
    ('producer', 'epcis_quantities', 'stg_producer__epcis_quantities'),
    ('producer', 'epcis_epcs', 'stg_producer__epcis_epcs'),
    ('producer', 'epcis_biz_transactions', 'stg_producer__epcis_biz_transactions'),
    ('producer', 'epcis_parties', 'stg_producer__epcis_parties'),
] -%}
with

raw_rows as (

    {% for domain, entity, _ in tables %}
    select '{{ domain }}__{{ entity }}' as source_table, _ingest_date as ingest_date, count(*) as rows_count
    from {{ source(domain, entity) }}
    where {{ run_date_window('_ingest_date') }}
    group by _ingest_date
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

staged_rows as (

    {% for domain, entity, model in tables %}
    select '{{ domain }}__{{ entity }}' as source_table, ingest_date, count(*) as rows_count
    from {{ ref(model) }}
    where {{ run_date_window('ingest_date') }}
    group by ingest_date
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

rejected_rows as (

    select source_table, ingest_date, count(*) as rows_count
    from {{ ref('fct_rejected_rows') }}
    where {{ run_date_window('ingest_date') }}
    group by source_table, ingest_date

),

compared as (

    select
        coalesce(raw_rows.source_table, staged_rows.source_table, rejected_rows.source_table) as source_table,
        coalesce(raw_rows.ingest_date, staged_rows.ingest_date, rejected_rows.ingest_date) as ingest_date,
        coalesce(raw_rows.rows_count, 0) as raw_rows,
        coalesce(staged_rows.rows_count, 0) as staged_rows,
        coalesce(rejected_rows.rows_count, 0) as rejected_rows

    from raw_rows
    full outer join staged_rows
        on raw_rows.source_table = staged_rows.source_table
        and raw_rows.ingest_date = staged_rows.ingest_date
    full outer join rejected_rows
        on coalesce(raw_rows.source_table, staged_rows.source_table) = rejected_rows.source_table
        and coalesce(raw_rows.ingest_date, staged_rows.ingest_date) = rejected_rows.ingest_date

)

select *
from compared
where raw_rows <> staged_rows + rejected_rows
