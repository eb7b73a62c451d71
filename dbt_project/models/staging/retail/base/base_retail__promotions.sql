{#- Every raw promotion row, typed, with the reason it is rejected (null when it is good).
    A promotion (promo_id, gtin) is announced once: a later announcement of the same key is a duplicate. -#}
with

source as (

    select * from {{ source('retail', 'promotions') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(['promo_id', 'gtin', 'announced_on']) }}
                then {{ missing_reason('null_key', ['promo_id', 'gtin', 'announced_on']) }}
            when not {{ is_valid_gtin('gtin') }}
                then {{ reject_reason('bad_gtin', 'gtin', 'is not a GTIN with a valid check digit') }}
            when length(promo_id) > 40
                then {{ reject_reason('bad_value', 'promo_id', 'is longer than 40 characters') }}
            when {{ any_null(['store_format', 'start_date', 'end_date', 'discount_pct', 'mechanism']) }}
                then {{ missing_reason('bad_value', ['store_format', 'start_date', 'end_date', 'discount_pct', 'mechanism']) }}
            when store_format not in ('all', 'hyper', 'super', 'proximity')
                then {{ reject_reason('bad_value', 'store_format', 'is not one of all, hyper, super, proximity') }}
            when mechanism not in ('price_cut', 'loyalty_card')
                then {{ reject_reason('bad_value', 'mechanism', 'is not one of price_cut, loyalty_card') }}
            when {{ parse_date('start_date') }} is null
                then {{ reject_reason('bad_value', 'start_date', 'is not a date YYYY-MM-DD') }}
            when {{ parse_date('end_date') }} is null
                then {{ reject_reason('bad_value', 'end_date', 'is not a date YYYY-MM-DD') }}
            when {{ parse_date('announced_on') }} is null
                then {{ reject_reason('bad_value', 'announced_on', 'is not a date YYYY-MM-DD') }}
            when {{ to_csv_decimal('discount_pct') }} is null
                then {{ reject_reason('bad_value', 'discount_pct', 'is not a decimal written with a comma') }}
            when {{ to_csv_decimal('discount_pct') }} <= 0 or {{ to_csv_decimal('discount_pct') }} > 100
                then {{ reject_reason('bad_value', 'discount_pct', 'is not a reduction in % (above 0, at most 100)') }}
            when {{ parse_date('announced_on') }} <> _ingest_date
                then 'wrong_date: announced_on "' || announced_on || '" is not the delivery date '
                    || cast(_ingest_date as {{ string_type() }})
            when {{ parse_date('end_date') }} < {{ parse_date('start_date') }}
                then 'bad_value: end_date "' || end_date || '" is before start_date "' || start_date || '"'
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        promo_id,
        gtin,

        -- strings
        store_format,
        mechanism,

        -- numerics
        {{ to_csv_decimal('discount_pct') }} as discount_pct,

        -- dates
        {{ parse_date('start_date') }} as start_date,
        {{ parse_date('end_date') }} as end_date,
        {{ parse_date('announced_on') }} as announced_on,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['promo_id', 'gtin']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- the first good delivery of a key wins; later copies are rejected
        {{ delivery_rank(['promo_id', 'gtin']) }}

    from typed
    {{ join_earlier_deliveries(['promo_id', 'gtin']) }}

),

final as (

    select
        promo_id,
        gtin,
        store_format,
        mechanism,
        discount_pct,
        start_date,
        end_date,
        announced_on,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: promotion ' || promo_id || ' on product ' || gtin
                    || ' was already delivered in ' || first_source_blob
        end as rejection_reason

    from deduplicated

)

select * from final
