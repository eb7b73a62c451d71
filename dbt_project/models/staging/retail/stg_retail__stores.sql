with

base as (

    select * from {{ ref('base_retail__stores') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        store_id,
        warehouse_id,

        -- strings
        name,
        format,
        region,
        city,
        postal_code,
        order_days,

        -- numerics
        sales_area_m2,
        latitude,
        longitude,

        -- booleans
        is_open_sunday,

        -- dates
        opened_on,
        snapshot_date,
        ingest_date,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
