with

base as (

    select * from {{ ref('base_retail__stock') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        store_id,
        gtin,

        -- numerics
        on_hand_qty,
        waste_qty,
        adjustment_qty,

        -- booleans
        is_counted,

        -- dates
        snapshot_date,
        ingest_date,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
