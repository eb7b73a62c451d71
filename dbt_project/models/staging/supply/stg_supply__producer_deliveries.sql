with

base as (

    select * from {{ ref('base_supply__producer_deliveries') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        delivery_id,
        delivery_line,
        po_id,
        po_line,
        producer_id,
        warehouse_id,
        sscc,
        gtin,
        lot,

        -- numerics
        quantity,

        -- dates
        production_date,
        best_before_date,
        delivered_date,
        ingest_date,

        -- timestamps
        delivered_at,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
