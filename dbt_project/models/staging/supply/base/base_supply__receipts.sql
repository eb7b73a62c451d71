{#- Every raw receipt line, typed, with the reason it is rejected (null when it is good).
    Zero units booked in is a real fact (a roll cage that never arrived); a negative quantity is not.
    A receipt line (receipt_id, receipt_line) is delivered once: a later copy, on any date, is a duplicate. -#}
{%- set keys = ['receipt_id', 'receipt_line', 'shipment_id', 'sscc', 'store_gln', 'gtin', 'lot', 'received_at'] -%}
with

source as (

    select * from {{ source('supply', 'receipts') }}
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
            when not {{ is_valid_gln('store_gln') }}
                then {{ reject_reason('bad_gln', 'store_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gtin('gtin') }}
                then {{ reject_reason('bad_gtin', 'gtin', 'is not a GTIN with a valid check digit') }}
            when length(receipt_id) > 40
                then {{ reject_reason('bad_value', 'receipt_id', 'is longer than 40 characters') }}
            when not coalesce({{ to_integer('receipt_line') }} >= 1, false)
                then {{ reject_reason('bad_value', 'receipt_line', 'is not a line number (a whole number from 1)') }}
            when length(lot) > 20
                then {{ reject_reason('bad_value', 'lot', 'is longer than 20 characters') }}
            when quantity is null
                then 'bad_value: quantity missing'
            when {{ to_integer('quantity') }} is null
                then {{ reject_reason('bad_value', 'quantity', 'is not a whole number') }}
            when {{ to_timestamp_utc('received_at') }} is null
                then {{ reject_reason('bad_value', 'received_at', 'is not a date-time with its UTC offset') }}
            when {{ to_integer('quantity') }} < 0
                then {{ reject_reason('negative_quantity', 'quantity', 'must not be negative') }}
            when {{ local_date_as_written('received_at') }} <> _ingest_date
                then 'wrong_date: received_at "' || received_at || '" is not on the delivery date '
                    || cast(_ingest_date as {{ string_type() }})
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        receipt_id,
        {{ to_integer('receipt_line') }} as receipt_line,
        shipment_id,
        sscc,
        store_gln as store_id,
        gtin,
        lot,

        -- numerics
        {{ to_integer('quantity') }} as quantity,

        -- dates
        {{ local_date_as_written('received_at') }} as received_date,

        -- timestamps
        {{ to_timestamp_utc('received_at') }} as received_at,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['receipt_id', 'receipt_line']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- the first good delivery of a key wins; later copies are rejected
        {{ delivery_rank(['receipt_id', 'receipt_line']) }}

    from typed
    {{ join_earlier_deliveries(['receipt_id', 'receipt_line']) }}

),

final as (

    select
        receipt_id,
        receipt_line,
        shipment_id,
        sscc,
        store_id,
        gtin,
        lot,
        quantity,
        received_date,
        received_at,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: receipt ' || receipt_id || ' line ' || cast(receipt_line as {{ string_type() }})
                    || ' was already delivered in ' || first_source_blob
        end as rejection_reason

    from deduplicated

)

select * from final
