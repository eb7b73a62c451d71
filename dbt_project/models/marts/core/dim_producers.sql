{#- One row per producer: its attributes in the latest snapshot that lists it, and the first and
    last snapshot dates it appeared in. -#}
with

producers as (

    select * from {{ ref('stg_producer__producers') }}

),

snapshots_ranked as (

    select
        *,
        row_number() over (
            partition by producer_id
            order by snapshot_date desc, source_blob desc, source_row desc
        ) as snapshot_rank,
        min(snapshot_date) over (partition by producer_id) as first_seen_date,
        max(snapshot_date) over (partition by producer_id) as last_seen_date

    from producers

),

latest_snapshot as (

    select * from snapshots_ranked
    where snapshot_rank = 1

),

final as (

    select
        cast(producer_id as {{ string_type() }}) as producer_id,
        cast(name as {{ string_type() }}) as producer_name,
        cast(kind as {{ string_type() }}) as producer_kind,
        cast(country as {{ string_type() }}) as country,
        cast(region as {{ string_type() }}) as region,
        cast(gs1_company_prefix as {{ string_type() }}) as gs1_company_prefix,
        cast(is_chain_owned as boolean) as is_chain_owned,
        cast(first_seen_date as date) as first_seen_date,
        cast(last_seen_date as date) as last_seen_date

    from latest_snapshot

)

select * from final
