{#- Every raw producer snapshot row, typed, with the reason it is rejected (null when it is good).
    An empty region is kept: foreign producers are sent without a French region. -#}
with

source as (

    select * from {{ source('producer', 'producers') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(['producer_gln', 'snapshot_date']) }}
                then {{ missing_reason('null_key', ['producer_gln', 'snapshot_date']) }}
            when not {{ is_valid_gln('producer_gln') }}
                then {{ reject_reason('bad_gln', 'producer_gln', 'is not a GLN with a valid check digit') }}
            when {{ parse_date('snapshot_date') }} is null
                then {{ reject_reason('bad_value', 'snapshot_date', 'is not a date YYYY-MM-DD') }}
            when {{ any_null(['name', 'kind', 'country', 'region', 'is_chain_owned', 'gs1_company_prefix']) }}
                then {{ missing_reason('bad_value', ['name', 'kind', 'country', 'region', 'is_chain_owned', 'gs1_company_prefix']) }}
            when kind not in ('manufacturer', 'cooperative', 'plant', 'mill')
                then {{ reject_reason('bad_value', 'kind', 'is not one of manufacturer, cooperative, plant, mill') }}
            when length(country) > 2
                then {{ reject_reason('bad_value', 'country', 'is not an ISO 3166-1 alpha-2 code') }}
            when length(gs1_company_prefix) > 12
                then {{ reject_reason('bad_value', 'gs1_company_prefix', 'is longer than 12 characters') }}
            when {{ parse_boolean('is_chain_owned') }} is null
                then {{ reject_reason('bad_value', 'is_chain_owned', 'is not true or false') }}
        end as row_problem

    from source

),

typed as (

    select
        -- ids
        producer_gln as producer_id,

        -- strings
        name,
        kind,
        country,
        region,
        gs1_company_prefix,

        -- booleans
        {{ parse_boolean('is_chain_owned') }} as is_chain_owned,

        -- dates
        {{ parse_date('snapshot_date') }} as snapshot_date,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['producer_gln', 'snapshot_date']) }} as row_key,

        row_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- one row per producer in a snapshot: the first good delivery wins
        {{ delivery_rank(['snapshot_date', 'producer_id']) }}

    from typed
    {{ join_earlier_deliveries(['snapshot_date', 'producer_id']) }}

),

final as (

    select
        producer_id,
        name,
        kind,
        country,
        region,
        gs1_company_prefix,
        is_chain_owned,
        snapshot_date,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: producer ' || producer_id || ' appears more than once in the snapshot of '
                    || cast(snapshot_date as {{ string_type() }})
        end as rejection_reason

    from deduplicated

)

select * from final
