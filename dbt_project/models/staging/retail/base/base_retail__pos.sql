{#- Every raw POS row, typed, with the reason it is rejected (null when it is good).
    stg_retail__pos_lines keeps the good rows; fct_rejected_rows keeps the others. -#}
with

source as (

    select * from {{ source('retail', 'pos') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(['store_gln', 'ticket_id', 'line_number', 'gtin', 'sold_at']) }}
                then {{ missing_reason('null_key', ['store_gln', 'ticket_id', 'line_number', 'gtin', 'sold_at']) }}
            when not {{ is_valid_gln('store_gln') }}
                then {{ reject_reason('bad_gln', 'store_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gtin('gtin') }}
                then {{ reject_reason('bad_gtin', 'gtin', 'is not a GTIN with a valid check digit') }}
            when length(ticket_id) > 40
                then {{ reject_reason('bad_value', 'ticket_id', 'is longer than 40 characters') }}
            when {{ to_integer('line_number') }} is null or {{ to_integer('line_number') }} < 1
                then {{ reject_reason('bad_value', 'line_number', 'is not a line number (a whole number from 1)') }}
            when {{ any_null(['label', 'quantity', 'unit_price', 'discount_amount', 'line_amount']) }}
                then {{ missing_reason('bad_value', ['label', 'quantity', 'unit_price', 'discount_amount', 'line_amount']) }}
            when length(label) > 200
                then {{ reject_reason('bad_value', 'label', 'is longer than 200 characters') }}
            when {{ to_integer('quantity') }} is null
                then {{ reject_reason('bad_value', 'quantity', 'is not a whole number') }}
            when {{ to_csv_decimal('unit_price') }} is null
                then {{ reject_reason('bad_value', 'unit_price', 'is not a decimal written with a comma') }}
            when {{ to_csv_decimal('discount_amount') }} is null
                then {{ reject_reason('bad_value', 'discount_amount', 'is not a decimal written with a comma') }}
            when {{ to_csv_decimal('line_amount') }} is null
                then {{ reject_reason('bad_value', 'line_amount', 'is not a decimal written with a comma') }}
            when {{ to_timestamp_utc('sold_at') }} is null
                then {{ reject_reason('bad_value', 'sold_at', 'is not a date-time with its UTC offset') }}
            when {{ to_integer('quantity') }} < 1
                then {{ reject_reason('negative_quantity', 'quantity', 'must be at least 1') }}
            when {{ to_csv_decimal('unit_price') }} < 0
                then {{ reject_reason('bad_value', 'unit_price', 'is negative') }}
            when {{ to_csv_decimal('discount_amount') }} < 0
                then {{ reject_reason('bad_value', 'discount_amount', 'is negative') }}
            when {{ to_csv_decimal('line_amount') }} < 0
                then {{ reject_reason('bad_value', 'line_amount', 'is negative') }}
            when {{ local_date_as_written('sold_at') }} <> _ingest_date
                then 'wrong_date: sold_at "' || sold_at || '" is not on the delivery date '
                    || cast(_ingest_date as {{ string_type() }})
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        store_gln as store_id,
        ticket_id,
        {{ to_integer('line_number') }} as line_number,
        gtin,
        promo_id,

        -- strings
        label,

        -- numerics
        {{ to_integer('quantity') }} as quantity,
        {{ to_csv_decimal('unit_price') }} as unit_price,
        {{ to_csv_decimal('discount_amount') }} as discount_amount,
        {{ to_csv_decimal('line_amount') }} as line_amount,

        -- dates
        {{ local_date_as_written('sold_at') }} as sold_date,

        -- timestamps
        {{ to_timestamp_utc('sold_at') }} as sold_at,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['store_gln', 'ticket_id', 'line_number']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        *,
        -- the first good delivery of a key wins; later copies are rejected
        row_number() over (
            partition by ingest_date, store_id, ticket_id, line_number
            order by case when row_problem is null then 0 else 1 end, source_blob, source_row
        ) as copy_number,
        first_value(source_blob) over (
            partition by ingest_date, store_id, ticket_id, line_number
            order by case when row_problem is null then 0 else 1 end, source_blob, source_row
        ) as first_source_blob

    from typed

),

final as (

    select
        store_id,
        ticket_id,
        line_number,
        gtin,
        promo_id,
        label,
        quantity,
        unit_price,
        discount_amount,
        line_amount,
        sold_date,
        sold_at,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: ticket ' || ticket_id || ' line ' || cast(line_number as {{ string_type() }})
                    || ' of store ' || store_id || ' was already delivered in ' || first_source_blob
        end as rejection_reason

    from deduplicated

)

select * from final
