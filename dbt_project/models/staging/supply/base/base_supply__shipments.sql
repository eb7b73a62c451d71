{#- Every raw shipment line, typed, with the reason it is rejected (null when it is good).
    A shipment line (shipment_id, shipment_line) is delivered once: a later copy, on any date, is a duplicate. -#}
{%- set keys = ['shipment_id', 'shipment_line', 'sscc', 'order_id', 'order_line', 'warehouse_gln', 'store_gln',
                'gtin', 'lot', 'shipped_at'] -%}
with

source as (

    select * from {{ source('supply', 'shipments') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(keys) }}
                then {{ missing_reason('null_key', keys) }}
            when not {{ is_valid_sscc('sscc') }}
                then {{ reject_reason('bad_sscc', 'sscc', 'is not an SSCC with a valid check digit') }}
            when not {{ is_valid_gln('warehouse_gln') }}
                then {{ reject_reason('bad_gln', 'warehouse_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gln('store_gln') }}
                then {{ reject_reason('bad_gln', 'store_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gtin('gtin') }}
                then {{ reject_reason('bad_gtin', 'gtin', 'is not a GTIN with a valid check digit') }}
            when length(shipment_id) > 40
                then {{ reject_reason('bad_value', 'shipment_id', 'is longer than 40 characters') }}
            when not coalesce({{ to_integer('shipment_line') }} >= 1, false)
                then {{ reject_reason('bad_value', 'shipment_line', 'is not a line number (a whole number from 1)') }}
            when not coalesce({{ to_integer('order_line') }} >= 1, false)
                then {{ reject_reason('bad_value', 'order_line', 'is not a line number (a whole number from 1)') }}
            when length(lot) > 20
                then {{ reject_reason('bad_value', 'lot', 'is longer than 20 characters') }}
            when {{ any_null(['best_before_date', 'quantity', 'expected_delivery_date']) }}
                then {{ missing_reason('bad_value', ['best_before_date', 'quantity', 'expected_delivery_date']) }}
            when {{ parse_date('best_before_date') }} is null
                then {{ reject_reason('bad_value', 'best_before_date', 'is not a date YYYY-MM-DD') }}
            when {{ to_integer('quantity') }} is null
                then {{ reject_reason('bad_value', 'quantity', 'is not a whole number') }}
            when {{ to_timestamp_utc('shipped_at') }} is null
                then {{ reject_reason('bad_value', 'shipped_at', 'is not a date-time with its UTC offset') }}
            when {{ parse_date('expected_delivery_date') }} is null
                then {{ reject_reason('bad_value', 'expected_delivery_date', 'is not a date YYYY-MM-DD') }}
            when {{ to_integer('quantity') }} < 1
                then {{ reject_reason('negative_quantity', 'quantity', 'must be at least 1') }}
            when {{ local_date_as_written('shipped_at') }} <> _ingest_date
                then 'wrong_date: shipped_at "' || shipped_at || '" is not on the delivery date '
                    || cast(_ingest_date as {{ string_type() }})
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        shipment_id,
        {{ to_integer('shipment_line') }} as shipment_line,
        sscc,
        order_id,
        {{ to_integer('order_line') }} as order_line,
        warehouse_gln as warehouse_id,
        store_gln as store_id,
        gtin,
        lot,

        -- numerics
        {{ to_integer('quantity') }} as quantity,

        -- dates
        {{ parse_date('best_before_date') }} as best_before_date,
        {{ local_date_as_written('shipped_at') }} as shipped_date,
        {{ parse_date('expected_delivery_date') }} as expected_delivery_date,

        -- timestamps
        {{ to_timestamp_utc('shipped_at') }} as shipped_at,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['shipment_id', 'shipment_line']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- the first good delivery of a key wins; later copies are rejected
        {{ delivery_rank(['shipment_id', 'shipment_line']) }}

    from typed
    {{ join_earlier_deliveries(['shipment_id', 'shipment_line']) }}

),

final as (

    select
        shipment_id,
        shipment_line,
        sscc,
        order_id,
        order_line,
        warehouse_id,
        store_id,
        gtin,
        lot,
        quantity,
        best_before_date,
        shipped_date,
        expected_delivery_date,
        shipped_at,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: shipment ' || shipment_id || ' line ' || cast(shipment_line as {{ string_type() }})
                    || ' was already delivered in ' || first_source_blob
        end as rejection_reason

    from deduplicated

)

select * from final
