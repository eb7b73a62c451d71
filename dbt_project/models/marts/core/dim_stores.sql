{#- One row per store: its attributes in the latest snapshot that lists it, and the first and last
    snapshot dates it appeared in. A store missing from a day's snapshot (file quarantined, store
    closed down) keeps its last known attributes. -#}
with

stores as (

    select * from {{ ref('stg_retail__stores') }}

),

snapshots_ranked as (

    select
        *,
        row_number() over (
            partition by store_id
            order by snapshot_date desc, source_blob desc, source_row desc
        ) as snapshot_rank,
        min(snapshot_date) over (partition by store_id) as first_seen_date,
        max(snapshot_date) over (partition by store_id) as last_seen_date

    from stores

),

latest_snapshot as (

    select * from snapshots_ranked
    where snapshot_rank = 1

),

final as (

    select
        cast(store_id as {{ string_type() }}) as store_id,
        cast(warehouse_id as {{ string_type() }}) as warehouse_id,
        cast(name as {{ string_type() }}) as store_name,
        cast(format as {{ string_type() }}) as store_format,
        cast(region as {{ string_type() }}) as region,
        cast(city as {{ string_type() }}) as city,
        cast(postal_code as {{ string_type() }}) as postal_code,
        cast(order_days as {{ string_type() }}) as order_days,
        cast(sales_area_m2 as bigint) as sales_area_m2,
        cast(latitude as {{ double_type() }}) as latitude,
        cast(longitude as {{ double_type() }}) as longitude,
        cast(is_open_sunday as boolean) as is_open_sunday,
        cast(opened_on as date) as opened_on,
        cast(first_seen_date as date) as first_seen_date,
        cast(last_seen_date as date) as last_seen_date

    from latest_snapshot

)

select * from final
