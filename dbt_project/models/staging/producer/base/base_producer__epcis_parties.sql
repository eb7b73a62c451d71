{#- Every raw source / destination of an EPCIS event, typed, with the reason it is rejected.
    The CBV type is written bare (urn:epcglobal:cbv:sdt:owning_party → owning_party). Rows stay tied
    to their event_key; only their own bad values are rejected, and the rows of a re-delivered event
    (duplicate_event). -#}
with

source as (

    select * from {{ source('producer', 'epcis_parties') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(['event_key', 'side', 'position', 'type', 'party']) }}
                then {{ missing_reason('null_key', ['event_key', 'side', 'position', 'type', 'party']) }}
            when side not in ('source', 'destination')
                then {{ reject_reason('bad_value', 'side', 'is not one of source, destination') }}
            when not coalesce({{ to_integer('position') }} >= 1, false)
                then {{ reject_reason('bad_value', 'position', 'is not a list position (a whole number from 1)') }}
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        event_key,
        side,
        {{ to_integer('position') }} as position,
        party,

        -- strings
        {{ cbv_bare_value('type') }} as type,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['event_key', 'side', 'position']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        {{ epcis_item_deliveries(['side', 'position']) }}

    from typed
    {{ join_earlier_event_deliveries() }}

),

final as (

    select
        event_key,
        side,
        position,
        type,
        party,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        {{ epcis_item_rejection("side || ' '") }}

    from deduplicated

)

select * from final
