{#- Every raw producer delivery line, typed, with the reason it is rejected (null when it is good).
    A delivery line (delivery_id, delivery_line) is delivered once: a later copy, on any date, is a duplicate. -#}
{%- set keys = ['delivery_id', 'delivery_line', 'po_id', 'po_line', 'producer_gln', 'warehouse_gln', 'sscc', 'gtin',
                'lot', 'delivered_at'] -%}
with

source as (

    select * from {{ source('supply', 'producer_deliveries') }}
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
            when not {{ is_valid_gln('producer_gln') }}
                then {{ reject_reason('bad_gln', 'producer_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gln('warehouse_gln') }}
                then {{ reject_reason('bad_gln', 'warehouse_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gtin('gtin') }}
                then {{ reject_reason('bad_gtin', 'gtin', 'is not a GTIN with a valid check digit') }}
            when length(delivery_id) > 40
                then {{ reject_reason('bad_value', 'delivery_id', 'is longer than 40 characters') }}
            when not coalesce({{ to_integer('delivery_line') }} >= 1, false)
                then {{ reject_reason('bad_value', 'delivery_line', 'is not a line number (a whole number from 1)') }}
            when not coalesce({{ to_integer('po_line') }} >= 1, false)
                then {{ reject_reason('bad_value', 'po_line', 'is not a line number (a whole number from 1)') }}
            when length(lot) > 20
                then {{ reject_reason('bad_value', 'lot', 'is longer than 20 characters') }}
            when {{ any_null(['production_date', 'best_before_date', 'quantity']) }}
                then {{ missing_reason('bad_value', ['production_date', 'best_before_date', 'quantity']) }}
            when {{ parse_date('production_date') }} is null
                then {{ reject_reason('bad_value', 'production_date', 'is not a date YYYY-MM-DD') }}
            when {{ parse_date('best_before_date') }} is null
                then {{ reject_reason('bad_value', 'best_before_date', 'is not a date YYYY-MM-DD') }}
            when {{ to_integer('quantity') }} is null
                then {{ reject_reason('bad_value', 'quantity', 'is not a whole number') }}
            when {{ to_timestamp_utc('delivered_at') }} is null
                then {{ reject_reason('bad_value', 'delivered_at', 'is not a date-time with its UTC offset') }}
            when {{ to_integer('quantity') }} < 1
                then {{ reject_reason('negative_quantity', 'quantity', 'must be at least 1') }}
            when {{ parse_date('best_before_date') }} < {{ parse_date('production_date') }}
                then 'bad_value: best_before_date "' || best_before_date || '" is before production_date "'
                    || production_date || '"'
            when {{ local_date_as_written('delivered_at') }} <> _ingest_date
                then 'wrong_date: delivered_at "' || delivered_at || '" is not on the delivery date '
                    || cast(_ingest_date as {{ string_type() }})
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        delivery_id,
        {{ to_integer('delivery_line') }} as delivery_line,
        po_id,
        {{ to_integer('po_line') }} as po_line,
        producer_gln as producer_id,
        warehouse_gln as warehouse_id,
        sscc,
        gtin,
        lot,

        -- numerics
        {{ to_integer('quantity') }} as quantity,

        -- dates
        {{ parse_date('production_date') }} as production_date,
        {{ parse_date('best_before_date') }} as best_before_date,
        {{ local_date_as_written('delivered_at') }} as delivered_date,

        -- timestamps
        {{ to_timestamp_utc('delivered_at') }} as delivered_at,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['delivery_id', 'delivery_line']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- the first good delivery of a key wins; later copies are rejected
        {{ delivery_rank(['delivery_id', 'delivery_line']) }}

    from typed
    {{ join_earlier_deliveries(['delivery_id', 'delivery_line']) }}

),

final as (

    select
        delivery_id,
        delivery_line,
        po_id,
        po_line,
        producer_id,
        warehouse_id,
        sscc,
        gtin,
        lot,
        quantity,
        production_date,
        best_before_date,
        delivered_date,
        delivered_at,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: delivery ' || delivery_id || ' line ' || cast(delivery_line as {{ string_type() }})
                    || ' was already delivered in ' || first_source_blob
        end as rejection_reason

    from deduplicated

)

select * from final
