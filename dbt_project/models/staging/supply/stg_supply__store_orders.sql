with

base as (

    select * from {{ ref('base_supply__store_orders') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        order_id,
        order_line,
        store_id,
        warehouse_id,
        gtin,

        -- numerics
        quantity,
        case_size,

        -- dates
        ordered_date,
        requested_delivery_date,
        ingest_date,

        -- timestamps
        ordered_at,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
