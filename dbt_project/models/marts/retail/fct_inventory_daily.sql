{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['store_id', 'gtin', 'snapshot_date'],
        on_schema_change='append_new_columns',
    )
}}

{#- End-of-day recorded stock per store, product and day (one row per stock record), with the
    movements of the day and the stock equation:
        implied_on_hand_qty = previous_on_hand_qty + received_qty - sold_qty - waste_qty + adjustment_qty
        stock_equation_gap  = on_hand_qty - implied_on_hand_qty
    A gap means a movement the store system booked is missing from our data (a POS or receipt file
    quarantined, rejected rows) or a movement it booked that no file reports. The previous day's
    on-hand comes from staging, read one day before the rebuilt window; it is null when the store
    sent no stock record for the product the day before (then the equation columns are null). -#}
with

stock_levels as (

    select * from {{ ref('stg_retail__stock_levels') }}
    where {{ ingest_date_window('ingest_date') }}

),

-- the day before the window is read too, for previous_on_hand_qty of the window's first day
previous_stock_levels as (

    select
        store_id,
        gtin,
        snapshot_date,
        on_hand_qty

    from {{ ref('stg_retail__stock_levels') }}
    where ingest_date >= (select {{ dbt.dateadd('day', -1, 'min(ingest_date)') }} from stock_levels)
        and ingest_date < (select max(ingest_date) from stock_levels)

),

receipts as (

    select * from {{ ref('stg_supply__receipts') }}
    where {{ ingest_date_window('ingest_date') }}

),

pos_lines as (

    select * from {{ ref('stg_retail__pos_lines') }}
    where {{ ingest_date_window('ingest_date') }}

),

received_per_day as (

    select
        store_id,
        gtin,
        received_date,
        sum(quantity) as received_qty

    from receipts
    group by store_id, gtin, received_date

),

sold_per_day as (

    select
        store_id,
        gtin,
        sold_date,
        sum(quantity) as sold_qty

    from pos_lines
    group by store_id, gtin, sold_date

),

stock_movements as (

    select
        stock_levels.store_id,
        stock_levels.gtin,
        stock_levels.snapshot_date,
        stock_levels.ingest_date,
        stock_levels.on_hand_qty,
        previous_stock_levels.on_hand_qty as previous_on_hand_qty,
        coalesce(received_per_day.received_qty, 0) as received_qty,
        coalesce(sold_per_day.sold_qty, 0) as sold_qty,
        coalesce(stock_levels.waste_qty, 0) as waste_qty,
        coalesce(stock_levels.adjustment_qty, 0) as adjustment_qty,
        stock_levels.is_counted

    from stock_levels
    left join previous_stock_levels
        on stock_levels.store_id = previous_stock_levels.store_id
        and stock_levels.gtin = previous_stock_levels.gtin
        and previous_stock_levels.snapshot_date = {{ dbt.dateadd('day', -1, 'stock_levels.snapshot_date') }}
    left join received_per_day
        on stock_levels.store_id = received_per_day.store_id
        and stock_levels.gtin = received_per_day.gtin
        and stock_levels.snapshot_date = received_per_day.received_date
    left join sold_per_day
        on stock_levels.store_id = sold_per_day.store_id
        and stock_levels.gtin = sold_per_day.gtin
        and stock_levels.snapshot_date = sold_per_day.sold_date

),

stock_equation as (

    select
        *,
        previous_on_hand_qty + received_qty - sold_qty - waste_qty + adjustment_qty as implied_on_hand_qty

    from stock_movements

),

final as (

    select
        cast(store_id as {{ string_type() }}) as store_id,
        cast(gtin as {{ string_type() }}) as gtin,
        cast(on_hand_qty as bigint) as on_hand_qty,
        cast(previous_on_hand_qty as bigint) as previous_on_hand_qty,
        cast(received_qty as bigint) as received_qty,
        cast(sold_qty as bigint) as sold_qty,
        cast(waste_qty as bigint) as waste_qty,
        cast(adjustment_qty as bigint) as adjustment_qty,
        cast(implied_on_hand_qty as bigint) as implied_on_hand_qty,
        cast(on_hand_qty - implied_on_hand_qty as bigint) as stock_equation_gap,
        cast(is_counted as boolean) as is_counted,
        cast(on_hand_qty > 0 as boolean) as is_in_stock,
        cast(snapshot_date as date) as snapshot_date,
        cast(ingest_date as date) as ingest_date

    from stock_equation

)

select * from final
