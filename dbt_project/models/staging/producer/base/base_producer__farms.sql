{#- Every raw farm snapshot row, typed, with the reason it is rejected (null when it is good). -#}
with

source as (

    select * from {{ source('producer', 'farms') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(['farm_gln', 'snapshot_date', 'producer_gln']) }}
                then {{ missing_reason('null_key', ['farm_gln', 'snapshot_date', 'producer_gln']) }}
            when not {{ is_valid_gln('farm_gln') }}
                then {{ reject_reason('bad_gln', 'farm_gln', 'is not a GLN with a valid check digit') }}
            when not {{ is_valid_gln('producer_gln') }}
                then {{ reject_reason('bad_gln', 'producer_gln', 'is not a GLN with a valid check digit') }}
            when {{ parse_date('snapshot_date') }} is null
                then {{ reject_reason('bad_value', 'snapshot_date', 'is not a date YYYY-MM-DD') }}
            when {{ any_null(['name', 'country', 'region', 'commodity', 'is_organic', 'latitude', 'longitude']) }}
                then {{ missing_reason('bad_value', ['name', 'country', 'region', 'commodity', 'is_organic', 'latitude', 'longitude']) }}
            when length(country) > 2
                then {{ reject_reason('bad_value', 'country', 'is not an ISO 3166-1 alpha-2 code') }}
            when {{ parse_boolean('is_organic') }} is null
                then {{ reject_reason('bad_value', 'is_organic', 'is not true or false') }}
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
        farm_gln as farm_id,
        producer_gln as producer_id,

        -- strings
        name,
        country,
        region,
        commodity,

        -- numerics
        {{ to_json_double('latitude') }} as latitude,
        {{ to_json_double('longitude') }} as longitude,

        -- booleans
        {{ parse_boolean('is_organic') }} as is_organic,

        -- dates
        {{ parse_date('snapshot_date') }} as snapshot_date,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['farm_gln', 'snapshot_date']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- one row per farm in a snapshot: the first good delivery wins
        {{ delivery_rank(['snapshot_date', 'farm_id']) }}

    from typed
    {{ join_earlier_deliveries(['snapshot_date', 'farm_id']) }}

),

final as (

    select
        farm_id,
        producer_id,
        name,
        country,
        region,
        commodity,
        latitude,
        longitude,
        is_organic,
        snapshot_date,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: farm ' || farm_id || ' appears more than once in the snapshot of '
                    || cast(snapshot_date as {{ string_type() }})
        end as rejection_reason

    from deduplicated

)

select * from final
