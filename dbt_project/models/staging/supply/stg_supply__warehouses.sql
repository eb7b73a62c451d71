with

base as (

    select * from {{ ref('base_supply__warehouses') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        warehouse_id,

        -- strings
        name,
        region,
        city,

        -- numerics
        latitude,
        longitude,

        -- dates
        snapshot_date,
        ingest_date,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
