{#- Every raw EPCIS event, typed, with the reason it is rejected (null when it is good).
    Event times may be earlier than the delivery date (EPCIS events are often reported late): no date check.
    An event (event_key) counts once in the whole history: the same event_key delivered again, in any
    document on any date, is rejected as duplicate_event and the first delivery (ingest_date,
    source_blob, source_row) is kept; the child tables (quantities, EPCs, …) keep the same delivery. -#}
with

source as (

    select * from {{ source('producer', 'epcis_events') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when event_key is null
                then 'null_key: event_key missing'
            when {{ any_null(['event_type', 'event_time', 'event_timezone_offset']) }}
                then {{ missing_reason('bad_value', ['event_type', 'event_time', 'event_timezone_offset']) }}
            when event_type not in ('ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent',
                                    'AssociationEvent')
                then {{ reject_reason('bad_value', 'event_type', 'is not an EPCIS 2.0 event type') }}
            when action is null and event_type <> 'TransformationEvent'
                then 'bad_value: action missing (required for an ' || event_type || ')'
            when action not in ('ADD', 'OBSERVE', 'DELETE')
                then {{ reject_reason('bad_value', 'action', 'is not one of ADD, OBSERVE, DELETE') }}
            when {{ to_timestamp_utc('event_time') }} is null
                then {{ reject_reason('bad_value', 'event_time', 'is not a date-time with its UTC offset') }}
            when {{ utc_offset_minutes('event_timezone_offset') }} is null
                then {{ reject_reason('bad_value', 'event_timezone_offset', 'is not a UTC offset +hh:mm') }}
            when record_time is not null and {{ to_timestamp_utc('record_time') }} is null
                then {{ reject_reason('bad_value', 'record_time', 'is not a date-time with its UTC offset') }}
            when error_declaration_time is not null and {{ to_timestamp_utc('error_declaration_time') }} is null
                then {{ reject_reason('bad_value', 'error_declaration_time', 'is not a date-time with its UTC offset') }}
            when corrective_event_ids is not null and not {{ is_json_kind('corrective_event_ids', 'array') }}
                then {{ reject_reason('bad_value', 'corrective_event_ids', 'is not a JSON array') }}
        end as row_problem

    from source

),

typed as (

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
        {{ cbv_bare_value('biz_step') }} as biz_step,
        {{ cbv_bare_value('disposition') }} as disposition,
        error_reason,
        corrective_event_ids,
        event_timezone_offset,
        event_json,

        -- booleans
        error_declaration_time is not null as is_error_declaration,

        -- dates
        cast(
            {{ dbt.dateadd('minute', utc_offset_minutes('event_timezone_offset'), to_timestamp_utc('event_time')) }}
            as date
        ) as event_date,

        -- timestamps
        {{ to_timestamp_utc('event_time') }} as event_at,
        {{ to_timestamp_utc('record_time') }} as recorded_at,
        {{ to_timestamp_utc('error_declaration_time') }} as error_declared_at,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['event_key']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- the first delivery of an event wins, whatever its state (the child tables cannot see it)
        {{ delivery_rank(['event_key'], good_first=false) }}

    from typed
    {{ join_earlier_event_deliveries(distinct=false) }}

),

final as (

    select
        event_key,
        event_id,
        read_point,
        biz_location,
        parent_id,
        transformation_id,
        event_type,
        action,
        biz_step,
        disposition,
        error_reason,
        corrective_event_ids,
        event_timezone_offset,
        event_json,
        is_error_declaration,
        event_date,
        event_at,
        recorded_at,
        error_declared_at,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when event_key is not null and copy_number > 1
                then 'duplicate_event: event ' || event_key || ' was already delivered in ' || first_source_blob
            when row_problem is not null then row_problem
        end as rejection_reason

    from deduplicated

)

select * from final
