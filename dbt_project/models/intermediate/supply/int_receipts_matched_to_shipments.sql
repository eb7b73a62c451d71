{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key='shipment_id',
    )
}}

{#- One row per good receipt line, matched to the shipment line it books in: same shipment_id,
    SSCC, GTIN and lot. Should a shipment carry the same SSCC/GTIN/lot on several lines, lines are
    paired one to one in line order (never fanned out). A receipt with no shipment line (shipment
    file quarantined, shipped before the data starts, or booked against the wrong shipment) keeps
    null shipment columns.
    Incremental: a shipment is matched as a whole, so a run re-matches the shipments that have a
    receipt or shipment line in its ingest window, from all their lines, and replaces their rows
    (delete+insert on shipment_id). Every other shipment's matching cannot have changed. (As a
    view, each reader and test redid the matching over the whole history.) -#}
with

{%- if is_incremental() %}

shipments_to_match as (

    select shipment_id from {{ ref('stg_supply__receipts') }}
    where {{ ingest_date_window('ingest_date') }}
    union
    select shipment_id from {{ ref('stg_supply__shipments') }}
    where {{ ingest_date_window('ingest_date') }}

),
{%- endif %}

receipts as (

    select receipts.* from {{ ref('stg_supply__receipts') }} as receipts
    {{- only_keys_to_build('shipments_to_match', ['shipment_id']) }}

),

shipments as (

    select shipments.* from {{ ref('stg_supply__shipments') }} as shipments
    {{- only_keys_to_build('shipments_to_match', ['shipment_id']) }}

),

receipts_numbered as (

    select
        *,
        row_number() over (
            partition by shipment_id, sscc, gtin, lot
            order by receipt_id, receipt_line
        ) as match_rank

    from receipts

),

shipments_numbered as (

    select
        *,
        row_number() over (
            partition by shipment_id, sscc, gtin, lot
            order by shipment_line
        ) as match_rank

    from shipments

),

matched as (

    select
        -- ids
        receipts_numbered.receipt_id,
        receipts_numbered.receipt_line,
        receipts_numbered.shipment_id,
        shipments_numbered.shipment_line,
        receipts_numbered.sscc,
        receipts_numbered.store_id,
        shipments_numbered.warehouse_id,
        shipments_numbered.order_id,
        shipments_numbered.order_line,
        receipts_numbered.gtin,
        receipts_numbered.lot,

        -- numerics
        receipts_numbered.quantity as received_qty,
        shipments_numbered.quantity as shipped_qty,

        -- booleans
        shipments_numbered.shipment_line is not null as has_shipment_line,

        -- dates
        receipts_numbered.received_date,
        shipments_numbered.shipped_date,
        shipments_numbered.expected_delivery_date,
        shipments_numbered.best_before_date,
        receipts_numbered.ingest_date,
        shipments_numbered.ingest_date as shipment_ingest_date,

        -- timestamps
        receipts_numbered.received_at,
        shipments_numbered.shipped_at

    from receipts_numbered
    left join shipments_numbered
        on receipts_numbered.shipment_id = shipments_numbered.shipment_id
        and receipts_numbered.sscc = shipments_numbered.sscc
        and receipts_numbered.gtin = shipments_numbered.gtin
        and receipts_numbered.lot = shipments_numbered.lot
        and receipts_numbered.match_rank = shipments_numbered.match_rank

)

select * from matched
