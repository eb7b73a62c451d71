{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['order_id', 'order_line'],
        on_schema_change='append_new_columns',
    )
}}

{#- Replenishment orders the stores sent to their warehouse, one row per order line. -#}
with

store_orders as (

    select * from {{ ref('stg_supply__store_orders') }}
    where {{ ingest_date_window('ingest_date') }}

),

final as (

    select
        cast(order_id as {{ string_type() }}) as order_id,
        cast(order_line as bigint) as order_line,
        cast(store_id as {{ string_type() }}) as store_id,
        cast(warehouse_id as {{ string_type() }}) as warehouse_id,
        cast(gtin as {{ string_type() }}) as gtin,
        cast(quantity as bigint) as ordered_qty,
        cast(case_size as bigint) as case_size,
        cast(round(cast(quantity as numeric(18, 4)) / nullif(case_size, 0), 4) as numeric(18, 4)) as ordered_cases,
        cast(
            {{ dbt.datediff('ordered_date', 'requested_delivery_date', 'day') }} as integer
        ) as requested_lead_time_days,
        cast(ordered_date as date) as ordered_date,
        cast(requested_delivery_date as date) as requested_delivery_date,
        cast(ordered_at as timestamp) as ordered_at,
        cast(ingest_date as date) as ingest_date

    from store_orders

)

select * from final
