{#- Every raw warehouse snapshot row, typed, with the reason it is rejected (null when it is good). -#}
with

source as (

    select * from {{ source('supply', 'warehouses') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(['warehouse_gln', 'snapshot_date']) }}
                then {{ missing_reason('null_key', ['warehouse_gln', 'snapshot_date']) }}
            when not {{ is_valid_gln('warehouse_gln') }}
                then {{ reject_reason('bad_gln', 'warehouse_gln', 'is not a GLN with a valid check digit') }}
            when {{ parse_date('snapshot_date') }} is null
                then {{ reject_reason('bad_value', 'snapshot_date', 'is not a date YYYY-MM-DD') }}
            when {{ any_null(['name', 'region', 'city', 'latitude', 'longitude']) }}
                then {{ missing_reason('bad_value', ['name', 'region', 'city', 'latitude', 'longitude']) }}
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
        warehouse_gln as warehouse_id,

        -- strings
        name,
        region,
        city,

        -- numerics
        {{ to_json_double('latitude') }} as latitude,
        {{ to_json_double('longitude') }} as longitude,

        -- dates
        {{ parse_date('snapshot_date') }} as snapshot_date,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['warehouse_gln', 'snapshot_date']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- one row per warehouse in a snapshot: the first good delivery wins
        {{ delivery_rank(['snapshot_date', 'warehouse_id']) }}

    from typed
    {{ join_earlier_deliveries(['snapshot_date', 'warehouse_id']) }}

),

final as (

    select
        warehouse_id,
        name,
        region,
        city,
        latitude,
        longitude,
        snapshot_date,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: warehouse ' || warehouse_id || ' appears more than once in the snapshot of '
                    || cast(snapshot_date as {{ string_type() }})
        end as rejection_reason

    from deduplicated

)

select * from final
