{#- Every raw EPCIS instance identifier (SGTIN, SSCC …) listed by an event, typed, with the reason
    it is rejected. Rows stay tied to their event_key; only their own bad values are rejected, and
    the rows of a re-delivered event (duplicate_event, see base_producer__epcis_events). -#}
with

source as (

    select * from {{ source('producer', 'epcis_epcs') }}
    where {{ ingest_date_window('_ingest_date') }}

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
        typed.*,
        {{ epcis_item_deliveries(['role', 'position']) }}

    from typed
    {{ join_earlier_event_deliveries() }}

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
        {{ epcis_item_rejection("role || ' '") }}

    from deduplicated

)

select * from final
