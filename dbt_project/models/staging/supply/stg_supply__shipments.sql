with

base as (

    select * from {{ ref('base_supply__shipments') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        shipment_id,
        shipment_line,
        sscc,
        order_id,
        order_line,
        warehouse_id,
        store_id,
        gtin,
        lot,

        -- numerics
        quantity,

        -- dates
        best_before_date,
        shipped_date,
        expected_delivery_date,
        ingest_date,

        -- timestamps
        shipped_at,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
