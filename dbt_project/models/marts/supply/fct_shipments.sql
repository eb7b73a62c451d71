{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['shipment_id', 'shipment_line'],
        on_schema_change='append_new_columns',
    )
}}

{#- What the warehouses shipped to the stores, one row per shipment line (one product and lot on
    one roll cage or pallet, identified by its SSCC). -#}
with

shipments as (

    select * from {{ ref('stg_supply__shipments') }}
    where {{ ingest_date_window('ingest_date') }}

),

final as (

    select
        cast(shipment_id as {{ string_type() }}) as shipment_id,
        cast(shipment_line as bigint) as shipment_line,
        cast(sscc as {{ string_type() }}) as sscc,
        cast(order_id as {{ string_type() }}) as order_id,
        cast(order_line as bigint) as order_line,
        cast(warehouse_id as {{ string_type() }}) as warehouse_id,
        cast(store_id as {{ string_type() }}) as store_id,
        cast(gtin as {{ string_type() }}) as gtin,
        cast(lot as {{ string_type() }}) as lot,
        cast(quantity as bigint) as shipped_qty,
        cast(
            {{ dbt.datediff('shipped_date', 'expected_delivery_date', 'day') }} as integer
        ) as planned_transit_days,
        cast(best_before_date as date) as best_before_date,
        cast(shipped_date as date) as shipped_date,
        cast(expected_delivery_date as date) as expected_delivery_date,
        cast(shipped_at as timestamp) as shipped_at,
        cast(ingest_date as date) as ingest_date

    from shipments

)

select * from final
