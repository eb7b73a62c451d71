{#- Every raw EPCIS instance identifier (SGTIN, SSCC …) listed by an event, typed, with the reason
    it is rejected. Rows stay tied to their event_key; only their own bad values are rejected, and
    the rows of a re-delivered event (duplicate_event, see base_producer__epcis_events). -#}
with

source as (

    select * from {{ source('producer', 'epcis_epcs') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(['event_key', 'role', 'position', 'epc']) }}
                then {{ missing_reason('null_key', ['event_key', 'role', 'position', 'epc']) }}
            when role not in ('epc', 'input', 'output', 'child')
                then {{ reject_reason('bad_value', 'role', 'is not one of epc, input, output, child') }}
            when not coalesce({{ to_integer('position') }} >= 1, false)
                then {{ reject_reason('bad_value', 'position', 'is not a list position (a whole number from 1)') }}
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        event_key,
        role,
        {{ to_integer('position') }} as position,
        epc,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['event_key', 'role', 'position']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        *,
        -- deliveries of the event: the first one is kept
        dense_rank() over (
            partition by event_key
            order by ingest_date, source_blob, source_row
        ) as delivery_number,
        first_value(source_blob) over (
            partition by event_key
            order by ingest_date, source_blob, source_row
        ) as first_source_blob,
        row_number() over (
            partition by event_key, role, position
            order by case when row_problem is null then 0 else 1 end, ingest_date, source_blob, source_row
        ) as copy_number

    from typed

),

final as (

    select
        event_key,
        role,
        position,
        epc,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when event_key is not null and delivery_number > 1
                then 'duplicate_event: event ' || event_key || ' was already delivered in ' || first_source_blob
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: ' || role || ' ' || cast(position as varchar) || ' of event ' || event_key
                    || ' appears twice'
        end as rejection_reason

    from deduplicated

)

select * from final
