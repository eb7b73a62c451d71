{#- Every raw POS row, typed, with the reason it is rejected (null when it is good).
    stg_retail__pos_lines keeps the good rows; fct_rejected_rows keeps the others. -#}
with

source as (

    select * from {{ source('retail', 'pos') }}

),

typed as (

    select
        -- ids
        store_gln as store_id,
        ticket_id,
        {{ parse_integer('line_number') }} as line_number,
        gtin,
        promo_id,

        -- strings
        label,

        -- numerics
        {{ parse_integer('quantity') }} as quantity,
        {{ parse_decimal('unit_price') }} as unit_price,
        {{ parse_decimal('discount_amount') }} as discount_amount,
        {{ parse_decimal('line_amount') }} as line_amount,

        -- timestamps
        {{ parse_timestamp_utc('sold_at') }} as sold_at,
        sold_at as sold_at_local,

        -- lineage
        _source_blob as source_blob,
        _source_row as source_row,
        _ingest_date as ingest_date,

        -- raw values, for the reject reason
        line_number as raw_line_number,
        quantity as raw_quantity,
        unit_price as raw_unit_price,
        line_amount as raw_line_amount

    from source

),

checked as (

    select
        *,
        case
            when store_id is null or ticket_id is null or line_number is null or gtin is null
                then 'null_key: store_gln, ticket_id, line_number and gtin are required'
            when not {{ is_valid_gln('store_id') }}
                then 'bad_gln: store_gln ' || store_id || ' is not a GLN with a valid check digit'
            when not {{ is_valid_gtin('gtin') }}
                then 'bad_gtin: gtin ' || gtin || ' is not a GTIN with a valid check digit'
            when quantity is null
                then 'bad_value: quantity ' || coalesce(raw_quantity, 'null') || ' is not a whole number'
            when quantity <= 0
                then 'negative_quantity: quantity ' || raw_quantity || ' must be at least 1'
            when unit_price is null or line_amount is null
                then 'bad_value: unit_price/line_amount ' || coalesce(raw_unit_price, 'null') || '/'
                    || coalesce(raw_line_amount, 'null') || ' are not decimals'
            when sold_at is null
                then 'bad_value: sold_at ' || coalesce(sold_at_local, 'null') || ' is not a date-time with offset'
            when cast(substr(sold_at_local, 1, 10) as date) <> ingest_date
                then 'wrong_date: sold on ' || substr(sold_at_local, 1, 10) || ', delivered for ' || cast(ingest_date as varchar)
        end as row_problem,
        row_number() over (
            partition by ingest_date, store_id, ticket_id, line_number
            order by source_blob, source_row
        ) as copy_number  -- the first delivery of a key wins; later copies are rejected

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
        sold_at,
        source_blob,
        source_row,
        ingest_date,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: ticket ' || ticket_id || ' line ' || cast(line_number as varchar)
                    || ' of store ' || store_id || ' was already delivered'
        end as rejection_reason

    from checked

)

select * from final
