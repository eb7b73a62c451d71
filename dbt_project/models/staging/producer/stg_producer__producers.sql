with

base as (

    select * from {{ ref('base_producer__producers') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        producer_id,

        -- strings
        name,
        kind,
        country,
        region,
        gs1_company_prefix,

        -- booleans
        is_chain_owned,

        -- dates
        snapshot_date,
        ingest_date,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
