with

base as (

    select * from {{ ref('base_producer__epcis_biz_transactions') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        event_key,
        position,
        biz_transaction,

        -- strings
        type,

        -- dates
        ingest_date,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
