{#- Every raw EPCIS quantity element (class-level, LGTIN), typed, with the reason it is rejected.
    Rows stay tied to their event_key whatever became of the event; only their own bad values are
    rejected, and the rows of a re-delivered event (duplicate_event: not its first delivery by
    ingest_date, source_blob, source_row) so that genealogy never counts an event twice.
    A quantity may be absent (EPCIS makes it optional); present, it must be a positive number. -#}
with

source as (

    select * from {{ source('producer', 'epcis_quantities') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(['event_key', 'role', 'position', 'epc_class']) }}
                then {{ missing_reason('null_key', ['event_key', 'role', 'position', 'epc_class']) }}
            when role not in ('quantity', 'input', 'output', 'child')
                then {{ reject_reason('bad_value', 'role', 'is not one of quantity, input, output, child') }}
            when not coalesce({{ to_integer('position') }} >= 1, false)
                then {{ reject_reason('bad_value', 'position', 'is not a list position (a whole number from 1)') }}
            when quantity is not null and {{ to_json_decimal('quantity') }} is null
                then {{ reject_reason('bad_value', 'quantity', 'is not a number') }}
            when {{ to_json_decimal('quantity') }} <= 0
                then {{ reject_reason('negative_quantity', 'quantity', 'must be positive') }}
            when uom is not null and not {{ matches_regex('uom', '^[A-Z0-9]{2,3}$') }}
                then {{ reject_reason('bad_value', 'uom', 'is not a UN/CEFACT unit code') }}
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        event_key,
        role,
        {{ to_integer('position') }} as position,
        epc_class,

        -- strings
        uom,

        -- numerics
        {{ to_json_decimal('quantity') }} as quantity,

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
        epc_class,
        uom,
        quantity,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        {{ epcis_item_rejection("role || ' '") }}

    from deduplicated

)

select * from final
