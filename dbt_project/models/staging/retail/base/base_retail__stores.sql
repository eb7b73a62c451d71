{#- Every raw store snapshot row, typed, with the reason it is rejected (null when it is good). -#}
with

source as (

    select * from {{ source('retail', 'stores') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(['store_gln', 'snapshot_date', 'warehouse_gln']) }}
                then {{ missing_reason('null_key', ['store_gln', 'snapshot_date', 'warehouse_gln']) }}
            when not {{ is_valid_gln('store_gln') }}
                then {{ reject_reason('bad_gln', 'store_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gln('warehouse_gln') }}
                then {{ reject_reason('bad_gln', 'warehouse_gln', 'is not a GLN with a valid check digit') }}
            when {{ parse_date('snapshot_date') }} is null
                then {{ reject_reason('bad_value', 'snapshot_date', 'is not a date YYYY-MM-DD') }}
            when {{ any_null(['name', 'format', 'region', 'city', 'postal_code', 'sales_area_m2', 'order_days',
                              'is_open_sunday', 'opened_on', 'latitude', 'longitude']) }}
                then {{ missing_reason('bad_value', ['name', 'format', 'region', 'city', 'postal_code', 'sales_area_m2',
                                                     'order_days', 'is_open_sunday', 'opened_on', 'latitude', 'longitude']) }}
            when length(name) > 120
                then {{ reject_reason('bad_value', 'name', 'is longer than 120 characters') }}
            when format not in ('hyper', 'super', 'proximity')
                then {{ reject_reason('bad_value', 'format', 'is not one of hyper, super, proximity') }}
            when length(postal_code) > 10
                then {{ reject_reason('bad_value', 'postal_code', 'is longer than 10 characters') }}
            when {{ to_integer('sales_area_m2') }} is null or {{ to_integer('sales_area_m2') }} <= 0
                then {{ reject_reason('bad_value', 'sales_area_m2', 'is not a positive whole number') }}
            when not {{ matches_regex('order_days', '^[[] *("(MON|TUE|WED|THU|FRI|SAT|SUN)" *(, *"(MON|TUE|WED|THU|FRI|SAT|SUN)" *)*)?[]]$') }}
                then {{ reject_reason('bad_value', 'order_days', 'is not a JSON array of weekdays MON … SUN') }}
            when {{ parse_boolean('is_open_sunday') }} is null
                then {{ reject_reason('bad_value', 'is_open_sunday', 'is not true or false') }}
            when {{ parse_date('opened_on') }} is null
                then {{ reject_reason('bad_value', 'opened_on', 'is not a date YYYY-MM-DD') }}
            when not coalesce({{ to_json_double('latitude') }} between -90 and 90, false)
                then {{ reject_reason('bad_value', 'latitude', 'is not a latitude in degrees') }}
            when not coalesce({{ to_json_double('longitude') }} between -180 and 180, false)
                then {{ reject_reason('bad_value', 'longitude', 'is not a longitude in degrees') }}
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        store_gln as store_id,
        warehouse_gln as warehouse_id,

        -- strings
        name,
        format,
        region,
        city,
        postal_code,
        order_days,

        -- numerics
        {{ to_integer('sales_area_m2') }} as sales_area_m2,
        {{ to_json_double('latitude') }} as latitude,
        {{ to_json_double('longitude') }} as longitude,

        -- booleans
        {{ parse_boolean('is_open_sunday') }} as is_open_sunday,

        -- dates
        {{ parse_date('opened_on') }} as opened_on,
        {{ parse_date('snapshot_date') }} as snapshot_date,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['store_gln', 'snapshot_date']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- one row per store in a snapshot: the first good delivery wins
        {{ delivery_rank(['snapshot_date', 'store_id']) }}

    from typed
    {{ join_earlier_deliveries(['snapshot_date', 'store_id']) }}

),

final as (

    select
        store_id,
        warehouse_id,
        name,
        format,
        region,
        city,
        postal_code,
        order_days,
        sales_area_m2,
        latitude,
        longitude,
        is_open_sunday,
        opened_on,
        snapshot_date,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: store ' || store_id || ' appears more than once in the snapshot of '
                    || cast(snapshot_date as {{ string_type() }})
        end as rejection_reason

    from deduplicated

)

select * from final
