{#- Every raw end-of-day stock row, typed, with the reason it is rejected (null when it is good).
    Stock on hand and waste may be zero (a stockout, no write-off); the adjustment may be negative. -#}
with

source as (

    select * from {{ source('retail', 'stock') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(['snapshot_date', 'store_gln', 'gtin']) }}
                then {{ missing_reason('null_key', ['snapshot_date', 'store_gln', 'gtin']) }}
            when not {{ is_valid_gln('store_gln') }}
                then {{ reject_reason('bad_gln', 'store_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gtin('gtin') }}
                then {{ reject_reason('bad_gtin', 'gtin', 'is not a GTIN with a valid check digit') }}
            when {{ parse_date('snapshot_date') }} is null
                then {{ reject_reason('bad_value', 'snapshot_date', 'is not a date YYYY-MM-DD') }}
            when {{ any_null(['on_hand_qty', 'waste_qty', 'adjustment_qty', 'is_counted']) }}
                then {{ missing_reason('bad_value', ['on_hand_qty', 'waste_qty', 'adjustment_qty', 'is_counted']) }}
            when {{ to_integer('on_hand_qty') }} is null
                then {{ reject_reason('bad_value', 'on_hand_qty', 'is not a whole number') }}
            when {{ to_integer('waste_qty') }} is null
                then {{ reject_reason('bad_value', 'waste_qty', 'is not a whole number') }}
            when {{ to_integer('adjustment_qty') }} is null
                then {{ reject_reason('bad_value', 'adjustment_qty', 'is not a whole number') }}
            when {{ parse_boolean('is_counted') }} is null
                then {{ reject_reason('bad_value', 'is_counted', 'is not true or false') }}
            when {{ to_integer('on_hand_qty') }} < 0
                then {{ reject_reason('negative_quantity', 'on_hand_qty', 'must not be negative') }}
            when {{ to_integer('waste_qty') }} < 0
                then {{ reject_reason('negative_quantity', 'waste_qty', 'must not be negative') }}
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        store_gln as store_id,
        gtin,

        -- numerics
        {{ to_integer('on_hand_qty') }} as on_hand_qty,
        {{ to_integer('waste_qty') }} as waste_qty,
        {{ to_integer('adjustment_qty') }} as adjustment_qty,

        -- booleans
        {{ parse_boolean('is_counted') }} as is_counted,

        -- dates
        {{ parse_date('snapshot_date') }} as snapshot_date,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['store_gln', 'gtin', 'snapshot_date']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- one row per store and product in a snapshot: the first good delivery wins
        {{ delivery_rank(['snapshot_date', 'store_id', 'gtin']) }}

    from typed
    {{ join_earlier_deliveries(['snapshot_date', 'store_id', 'gtin']) }}

),

final as (

    select
        store_id,
        gtin,
        on_hand_qty,
        waste_qty,
        adjustment_qty,
        is_counted,
        snapshot_date,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: product ' || gtin || ' of store ' || store_id || ' on '
                    || cast(snapshot_date as {{ string_type() }}) || ' was already delivered in ' || first_source_blob
        end as rejection_reason

    from deduplicated

)

select * from final
