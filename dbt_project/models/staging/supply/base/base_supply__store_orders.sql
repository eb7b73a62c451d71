{#- Every raw store order line, typed, with the reason it is rejected (null when it is good).
    An order line (order_id, order_line) is delivered once: a later copy, on any date, is a duplicate. -#}
with

source as (

    select * from {{ source('supply', 'store_orders') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(['order_id', 'order_line', 'store_gln', 'warehouse_gln', 'gtin', 'ordered_at']) }}
                then {{ missing_reason('null_key', ['order_id', 'order_line', 'store_gln', 'warehouse_gln', 'gtin', 'ordered_at']) }}
            when not {{ is_valid_gln('store_gln') }}
                then {{ reject_reason('bad_gln', 'store_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gln('warehouse_gln') }}
                then {{ reject_reason('bad_gln', 'warehouse_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gtin('gtin') }}
                then {{ reject_reason('bad_gtin', 'gtin', 'is not a GTIN with a valid check digit') }}
            when length(order_id) > 40
                then {{ reject_reason('bad_value', 'order_id', 'is longer than 40 characters') }}
            when not coalesce({{ to_integer('order_line') }} >= 1, false)
                then {{ reject_reason('bad_value', 'order_line', 'is not a line number (a whole number from 1)') }}
            when {{ any_null(['quantity', 'case_size', 'requested_delivery_date']) }}
                then {{ missing_reason('bad_value', ['quantity', 'case_size', 'requested_delivery_date']) }}
            when {{ to_integer('quantity') }} is null
                then {{ reject_reason('bad_value', 'quantity', 'is not a whole number') }}
            when {{ to_integer('case_size') }} is null
                then {{ reject_reason('bad_value', 'case_size', 'is not a whole number') }}
            when {{ to_timestamp_utc('ordered_at') }} is null
                then {{ reject_reason('bad_value', 'ordered_at', 'is not a date-time with its UTC offset') }}
            when {{ parse_date('requested_delivery_date') }} is null
                then {{ reject_reason('bad_value', 'requested_delivery_date', 'is not a date YYYY-MM-DD') }}
            when {{ to_integer('quantity') }} < 1
                then {{ reject_reason('negative_quantity', 'quantity', 'must be at least 1') }}
            when {{ to_integer('case_size') }} < 1
                then {{ reject_reason('negative_quantity', 'case_size', 'must be at least 1') }}
            when mod({{ to_integer('quantity') }}, {{ to_integer('case_size') }}) <> 0
                then 'bad_value: quantity "' || quantity || '" is not a whole number of cases of ' || case_size
            when {{ local_date_as_written('ordered_at') }} <> _ingest_date
                then 'wrong_date: ordered_at "' || ordered_at || '" is not on the delivery date '
                    || cast(_ingest_date as {{ string_type() }})
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        order_id,
        {{ to_integer('order_line') }} as order_line,
        store_gln as store_id,
        warehouse_gln as warehouse_id,
        gtin,

        -- numerics
        {{ to_integer('quantity') }} as quantity,
        {{ to_integer('case_size') }} as case_size,

        -- dates
        {{ local_date_as_written('ordered_at') }} as ordered_date,
        {{ parse_date('requested_delivery_date') }} as requested_delivery_date,

        -- timestamps
        {{ to_timestamp_utc('ordered_at') }} as ordered_at,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['order_id', 'order_line']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- the first good delivery of a key wins; later copies are rejected
        {{ delivery_rank(['order_id', 'order_line']) }}

    from typed
    {{ join_earlier_deliveries(['order_id', 'order_line']) }}

),

final as (

    select
        order_id,
        order_line,
        store_id,
        warehouse_id,
        gtin,
        quantity,
        case_size,
        ordered_date,
        requested_delivery_date,
        ordered_at,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: order ' || order_id || ' line ' || cast(order_line as {{ string_type() }})
                    || ' was already delivered in ' || first_source_blob
        end as rejection_reason

    from deduplicated

)

select * from final
