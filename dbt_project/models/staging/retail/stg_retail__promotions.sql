with

base as (

    select * from {{ ref('base_retail__promotions') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        promo_id,
        gtin,

        -- strings
        store_format,
        mechanism,

        -- numerics
        discount_pct,

        -- dates
        start_date,
        end_date,
        announced_on,
        ingest_date,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
