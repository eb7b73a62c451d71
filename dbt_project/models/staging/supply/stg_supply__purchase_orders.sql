with

base as (

    select * from {{ ref('base_supply__purchase_orders') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        po_id,
        po_line,
        warehouse_id,
        producer_id,
        gtin,

        -- numerics
        quantity,

        -- dates
        ordered_date,
        due_date,
        ingest_date,

        -- timestamps
        ordered_at,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
