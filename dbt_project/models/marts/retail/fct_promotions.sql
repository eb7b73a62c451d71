{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['promo_id', 'gtin'],
        on_schema_change='append_new_columns',
    )
}}

{#- Promotions as announced, one row per promotion and product (stg_retail__promotions): the days
    they run and the store format they apply to. Announced before they start, so the forecasts can
    use the days ahead that are promoted. Rebuilds the announcements of ingest_date_window. -#}
with

promotions as (

    select * from {{ ref('stg_retail__promotions') }}
    where {{ ingest_date_window('ingest_date') }}

),

final as (

    select
        cast(promo_id as {{ string_type() }}) as promo_id,
        cast(gtin as {{ string_type() }}) as gtin,
        cast(store_format as {{ string_type() }}) as store_format,
        cast(mechanism as {{ string_type() }}) as mechanism,
        cast(discount_pct as numeric(9, 4)) as discount_pct,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(announced_on as date) as announced_on,
        cast(ingest_date as date) as ingest_date

    from promotions

)

select * from final
