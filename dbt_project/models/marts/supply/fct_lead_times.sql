{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['flow', 'order_id', 'order_line'],
        on_schema_change='append_new_columns',
    )
}}

{#- Replenishment lead times, one row per order line that was received (at least one unit):
    - warehouse_to_store: store order line → shipment lines → store receipt lines;
    - producer_to_warehouse: purchase order line → producer delivery lines.
    lead_time_days counts calendar days from the order date to the date of the line's last receipt
    (the line was then complete as far as it got; in practice a line arrives in one go).
    Incremental: an order line is rebuilt, from its whole history, when any of its records
    (order, shipment, receipt) has an ingest date in the window (ingest_date = the newest one). -#}
with

order_lines as (

    select * from {{ ref('int_order_lines_matched_to_receipts') }}
    where {{ ingest_date_window('ingest_date') }}

),

received_order_lines as (

    select * from order_lines
    where received_qty > 0

),

final as (

    select
        cast(flow as {{ string_type() }}) as flow,
        cast(order_id as {{ string_type() }}) as order_id,
        cast(order_line as bigint) as order_line,
        cast(supplier_id as {{ string_type() }}) as supplier_id,
        cast(receiver_id as {{ string_type() }}) as receiver_id,
        cast(gtin as {{ string_type() }}) as gtin,
        cast(ordered_qty as bigint) as ordered_qty,
        cast(received_qty as bigint) as received_qty,
        cast(receipt_lines as bigint) as receipt_lines,
        cast(
            {{ dbt.datediff('ordered_date', 'last_received_date', 'day') }} as integer
        ) as lead_time_days,
        cast(
            {{ dbt.datediff('ordered_date', 'promised_date', 'day') }} as integer
        ) as promised_lead_time_days,
        cast(
            {{ dbt.datediff('promised_date', 'last_received_date', 'day') }} as integer
        ) as days_late,
        cast(received_qty >= ordered_qty as boolean) as is_received_in_full,
        cast(ordered_date as date) as ordered_date,
        cast(promised_date as date) as promised_date,
        cast(first_received_date as date) as first_received_date,
        cast(last_received_date as date) as received_date,
        cast(ordered_at as timestamp) as ordered_at,
        cast(last_received_at as timestamp) as received_at,
        cast(ingest_date as date) as ingest_date

    from received_order_lines

)

select * from final
