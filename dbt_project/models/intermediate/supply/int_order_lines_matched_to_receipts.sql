{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['flow', 'order_id', 'order_line'],
    )
}}

{#- One row per order line of both replenishment flows, with what was shipped and received for it:
    - warehouse_to_store: store order line → its shipment lines (order_id + order_line) → the receipt
      lines that book them in (shipment_id + SSCC + GTIN + lot, see int_receipts_matched_to_shipments);
    - producer_to_warehouse: purchase order line → its producer delivery lines (po_id + po_line); a
      delivery is both the shipment and the receipt.
    Lines nothing was received for keep null receipt columns (OTIF counts them as missed).
    ingest_date is the newest ingest date of any record of the line (order, shipment, receipt): the
    incremental marts rebuild the lines whose ingest_date falls in their window.
    Incremental: a run rebuilds, from all their records, the order lines that have an order,
    shipment, receipt or delivery record in its ingest window (their ingest_date is then in the
    window too), and replaces them (delete+insert on flow, order_id, order_line). -#}
with

{%- if is_incremental() %}

store_order_lines_to_build as (

    select order_id, order_line from {{ ref('stg_supply__store_orders') }}
    where {{ ingest_date_window('ingest_date') }}
    union
    select order_id, order_line from {{ ref('stg_supply__shipments') }}
    where {{ ingest_date_window('ingest_date') }}
    union
    select order_id, order_line from {{ ref('int_receipts_matched_to_shipments') }}
    where {{ ingest_date_window('ingest_date') }}
        and order_id is not null

),

purchase_order_lines_to_build as (

    select po_id, po_line from {{ ref('stg_supply__purchase_orders') }}
    where {{ ingest_date_window('ingest_date') }}
    union
    select po_id, po_line from {{ ref('stg_supply__producer_deliveries') }}
    where {{ ingest_date_window('ingest_date') }}

),
{%- endif %}

store_orders as (

    select store_orders.* from {{ ref('stg_supply__store_orders') }} as store_orders
    {{- only_keys_to_build('store_order_lines_to_build', ['order_id', 'order_line']) }}

),

shipments as (

    select shipments.* from {{ ref('stg_supply__shipments') }} as shipments
    {{- only_keys_to_build('store_order_lines_to_build', ['order_id', 'order_line']) }}

),

receipts_matched as (

    select receipts_matched.* from {{ ref('int_receipts_matched_to_shipments') }} as receipts_matched
    {{- only_keys_to_build('store_order_lines_to_build', ['order_id', 'order_line']) }}

),

purchase_orders as (

    select purchase_orders.* from {{ ref('stg_supply__purchase_orders') }} as purchase_orders
    {{- only_keys_to_build('purchase_order_lines_to_build', ['po_id', 'po_line']) }}

),

producer_deliveries as (

    select producer_deliveries.* from {{ ref('stg_supply__producer_deliveries') }} as producer_deliveries
    {{- only_keys_to_build('purchase_order_lines_to_build', ['po_id', 'po_line']) }}

),

shipped_per_store_order_line as (

    select
        order_id,
        order_line,
        sum(quantity) as shipped_qty,
        max(shipped_date) as shipped_date,
        max(ingest_date) as ingest_date

    from shipments
    group by order_id, order_line

),

received_per_store_order_line as (

    select
        receipts_matched.order_id,
        receipts_matched.order_line,
        sum(receipts_matched.received_qty) as received_qty,
        sum(
            case
                when receipts_matched.received_date <= store_orders.requested_delivery_date
                    then receipts_matched.received_qty
                else 0
            end
        ) as received_qty_by_promised_date,
        count(*) as receipt_lines,
        min(receipts_matched.received_date) as first_received_date,
        max(receipts_matched.received_date) as last_received_date,
        max(receipts_matched.received_at) as last_received_at,
        max(receipts_matched.ingest_date) as ingest_date

    from receipts_matched
    inner join store_orders
        on receipts_matched.order_id = store_orders.order_id
        and receipts_matched.order_line = store_orders.order_line
    group by receipts_matched.order_id, receipts_matched.order_line

),

store_order_lines as (

    select
        'warehouse_to_store' as flow,
        store_orders.order_id,
        store_orders.order_line,
        store_orders.warehouse_id as supplier_id,
        store_orders.store_id as receiver_id,
        store_orders.gtin,
        store_orders.quantity as ordered_qty,
        shipped_per_store_order_line.shipped_qty,
        received_per_store_order_line.received_qty,
        received_per_store_order_line.received_qty_by_promised_date,
        coalesce(received_per_store_order_line.receipt_lines, 0) as receipt_lines,
        store_orders.ordered_date,
        store_orders.requested_delivery_date as promised_date,
        shipped_per_store_order_line.shipped_date,
        received_per_store_order_line.first_received_date,
        received_per_store_order_line.last_received_date,
        store_orders.ordered_at,
        received_per_store_order_line.last_received_at,
        store_orders.ingest_date as order_ingest_date,
        shipped_per_store_order_line.ingest_date as shipment_ingest_date,
        received_per_store_order_line.ingest_date as receipt_ingest_date

    from store_orders
    left join shipped_per_store_order_line
        on store_orders.order_id = shipped_per_store_order_line.order_id
        and store_orders.order_line = shipped_per_store_order_line.order_line
    left join received_per_store_order_line
        on store_orders.order_id = received_per_store_order_line.order_id
        and store_orders.order_line = received_per_store_order_line.order_line

),

delivered_per_purchase_order_line as (

    select
        producer_deliveries.po_id,
        producer_deliveries.po_line,
        sum(producer_deliveries.quantity) as received_qty,
        sum(
            case
                when producer_deliveries.delivered_date <= purchase_orders.due_date
                    then producer_deliveries.quantity
                else 0
            end
        ) as received_qty_by_promised_date,
        count(*) as receipt_lines,
        min(producer_deliveries.delivered_date) as first_received_date,
        max(producer_deliveries.delivered_date) as last_received_date,
        max(producer_deliveries.delivered_at) as last_received_at,
        max(producer_deliveries.ingest_date) as ingest_date

    from producer_deliveries
    inner join purchase_orders
        on producer_deliveries.po_id = purchase_orders.po_id
        and producer_deliveries.po_line = purchase_orders.po_line
    group by producer_deliveries.po_id, producer_deliveries.po_line

),

purchase_order_lines as (

    select
        'producer_to_warehouse' as flow,
        purchase_orders.po_id as order_id,
        purchase_orders.po_line as order_line,
        purchase_orders.producer_id as supplier_id,
        purchase_orders.warehouse_id as receiver_id,
        purchase_orders.gtin,
        purchase_orders.quantity as ordered_qty,
        delivered_per_purchase_order_line.received_qty as shipped_qty,
        delivered_per_purchase_order_line.received_qty,
        delivered_per_purchase_order_line.received_qty_by_promised_date,
        coalesce(delivered_per_purchase_order_line.receipt_lines, 0) as receipt_lines,
        purchase_orders.ordered_date,
        purchase_orders.due_date as promised_date,
        delivered_per_purchase_order_line.first_received_date as shipped_date,
        delivered_per_purchase_order_line.first_received_date,
        delivered_per_purchase_order_line.last_received_date,
        purchase_orders.ordered_at,
        delivered_per_purchase_order_line.last_received_at,
        purchase_orders.ingest_date as order_ingest_date,
        delivered_per_purchase_order_line.ingest_date as shipment_ingest_date,
        delivered_per_purchase_order_line.ingest_date as receipt_ingest_date

    from purchase_orders
    left join delivered_per_purchase_order_line
        on purchase_orders.po_id = delivered_per_purchase_order_line.po_id
        and purchase_orders.po_line = delivered_per_purchase_order_line.po_line

),

order_lines as (

    select * from store_order_lines
    union all
    select * from purchase_order_lines

),

final as (

    select
        *,
        greatest(
            order_ingest_date,
            coalesce(shipment_ingest_date, order_ingest_date),
            coalesce(receipt_ingest_date, order_ingest_date)
        ) as ingest_date

    from order_lines

)

select * from final
