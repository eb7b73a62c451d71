with

base as (

    select * from {{ ref('base_producer__epcis_events') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        event_key,
        event_id,
        read_point,
        biz_location,
        parent_id,
        transformation_id,

        -- strings
        event_type,
        action,
        biz_step,
        disposition,
        error_reason,
        corrective_event_ids,
        event_timezone_offset,
        event_json,

        -- booleans
        is_error_declaration,

        -- dates
        event_date,
        ingest_date,

        -- timestamps
        event_at,
        recorded_at,
        error_declared_at,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
