{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['receipt_id', 'receipt_line'],
        on_schema_change='append_new_columns',
    )
}}

{#- Goods the stores booked in, one row per receipt line, with the shipment line it books in
    (matched on shipment_id + SSCC + GTIN + lot) and the gap between what was booked and what was
    shipped. Rebuilt for the receipts' ingest dates in the window; shipment lines are looked up in
    the whole history (a shipment leaves days before it is received). -#}
with

receipts_matched as (

    select * from {{ ref('int_receipts_matched_to_shipments') }}
    where {{ ingest_date_window('ingest_date') }}

),

final as (

    select
        cast(receipt_id as {{ string_type() }}) as receipt_id,
        cast(receipt_line as bigint) as receipt_line,
        cast(shipment_id as {{ string_type() }}) as shipment_id,
        cast(shipment_line as bigint) as shipment_line,
        cast(sscc as {{ string_type() }}) as sscc,
        cast(store_id as {{ string_type() }}) as store_id,
        cast(warehouse_id as {{ string_type() }}) as warehouse_id,
        cast(order_id as {{ string_type() }}) as order_id,
        cast(order_line as bigint) as order_line,
        cast(gtin as {{ string_type() }}) as gtin,
        cast(lot as {{ string_type() }}) as lot,
        cast(received_qty as bigint) as received_qty,
        cast(shipped_qty as bigint) as shipped_qty,
        cast(received_qty - shipped_qty as bigint) as quantity_gap,
        cast(
            {{ dbt.datediff('expected_delivery_date', 'received_date', 'day') }} as integer
        ) as days_late,
        cast(has_shipment_line as boolean) as has_shipment_line,
        cast(received_date as date) as received_date,
        cast(shipped_date as date) as shipped_date,
        cast(expected_delivery_date as date) as expected_delivery_date,
        cast(best_before_date as date) as best_before_date,
        cast(received_at as timestamp) as received_at,
        cast(ingest_date as date) as ingest_date

    from receipts_matched

)

select * from final
