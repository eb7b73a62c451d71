{#- Every raw purchase order line, typed, with the reason it is rejected (null when it is good).
    A purchase order line (po_id, po_line) is delivered once: a later copy, on any date, is a duplicate. -#}
{%- set keys = ['po_id', 'po_line', 'warehouse_gln', 'producer_gln', 'gtin', 'ordered_at'] -%}
with

source as (

    select * from {{ source('supply', 'purchase_orders') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(keys) }}
                then {{ missing_reason('null_key', keys) }}
            when not {{ is_valid_gln('warehouse_gln') }}
                then {{ reject_reason('bad_gln', 'warehouse_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gln('producer_gln') }}
                then {{ reject_reason('bad_gln', 'producer_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gtin('gtin') }}
                then {{ reject_reason('bad_gtin', 'gtin', 'is not a GTIN with a valid check digit') }}
            when length(po_id) > 40
                then {{ reject_reason('bad_value', 'po_id', 'is longer than 40 characters') }}
            when not coalesce({{ to_integer('po_line') }} >= 1, false)
                then {{ reject_reason('bad_value', 'po_line', 'is not a line number (a whole number from 1)') }}
            when {{ any_null(['quantity', 'due_date']) }}
                then {{ missing_reason('bad_value', ['quantity', 'due_date']) }}
            when {{ to_integer('quantity') }} is null
                then {{ reject_reason('bad_value', 'quantity', 'is not a whole number') }}
            when {{ to_timestamp_utc('ordered_at') }} is null
                then {{ reject_reason('bad_value', 'ordered_at', 'is not a date-time with its UTC offset') }}
            when {{ parse_date('due_date') }} is null
                then {{ reject_reason('bad_value', 'due_date', 'is not a date YYYY-MM-DD') }}
            when {{ to_integer('quantity') }} < 1
                then {{ reject_reason('negative_quantity', 'quantity', 'must be at least 1') }}
            when {{ local_date_as_written('ordered_at') }} <> _ingest_date
                then 'wrong_date: ordered_at "' || ordered_at || '" is not on the delivery date '
                    || cast(_ingest_date as {{ string_type() }})
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        po_id,
        {{ to_integer('po_line') }} as po_line,
        warehouse_gln as warehouse_id,
        producer_gln as producer_id,
        gtin,

        -- numerics
        {{ to_integer('quantity') }} as quantity,

        -- dates
        {{ local_date_as_written('ordered_at') }} as ordered_date,
        {{ parse_date('due_date') }} as due_date,

        -- timestamps
        {{ to_timestamp_utc('ordered_at') }} as ordered_at,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['po_id', 'po_line']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- the first good delivery of a key wins; later copies are rejected
        {{ delivery_rank(['po_id', 'po_line']) }}

    from typed
    {{ join_earlier_deliveries(['po_id', 'po_line']) }}

),

final as (

    select
        po_id,
        po_line,
        warehouse_id,
        producer_id,
        gtin,
        quantity,
        ordered_date,
        due_date,
        ordered_at,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: purchase order ' || po_id || ' line ' || cast(po_line as {{ string_type() }})
                    || ' was already delivered in ' || first_source_blob
        end as rejection_reason

    from deduplicated

)

select * from final
