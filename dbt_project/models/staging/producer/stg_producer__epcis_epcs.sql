with

base as (

    select * from {{ ref('base_producer__epcis_epcs') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        event_key,
        role,
        position,
        epc,

        -- dates
        ingest_date,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
