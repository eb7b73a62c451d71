with

base as (

    select * from {{ ref('base_supply__receipts') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        receipt_id,
        receipt_line,
        shipment_id,
        sscc,
        store_id,
        gtin,
        lot,

        -- numerics
        quantity,

        -- dates
        received_date,
        ingest_date,

        -- timestamps
        received_at,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
