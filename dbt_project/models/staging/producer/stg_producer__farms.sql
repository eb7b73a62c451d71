with

base as (

    select * from {{ ref('base_producer__farms') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        farm_id,
        producer_id,

        -- strings
        name,
        country,
        region,
        commodity,

        -- numerics
        latitude,
        longitude,

        -- booleans
        is_organic,

        -- dates
        snapshot_date,
        ingest_date,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
