{#- One row per product (GTIN): the latest catalog snapshot that lists it, with the first and last
    snapshot dates it appeared in and the blob and row it came from. What dim_products and the
    Nutri-Score read, so the "latest" rule lives in one place. -#}
with

products as (

    select * from {{ ref('stg_retail__products') }}

),

snapshots_ranked as (

    select
        *,
        row_number() over (
            partition by gtin
            order by snapshot_date desc, source_blob desc, source_row desc
        ) as snapshot_rank,
        min(snapshot_date) over (partition by gtin) as first_seen_date,
        max(snapshot_date) over (partition by gtin) as last_seen_date

    from products

),

final as (

    select
        -- ids
        gtin,
        producer_id,

        -- strings
        name,
        brand,
        category,
        subcategory,
        origin_country,
        net_content_unit,
        nutriments_json,
        nutrition_problem,

        -- numerics
        net_content,
        case_size,
        shelf_life_days,
        price_eur,
        vat_rate,
        energy_kj_100g,
        energy_kcal_100g,
        fat_100g,
        saturated_fat_100g,
        carbohydrates_100g,
        sugars_100g,
        fiber_100g,
        proteins_100g,
        salt_100g,
        sodium_100g,
        fruits_vegetables_legumes_pct,

        -- booleans
        is_own_brand,
        is_fresh,
        is_beverage,
        is_water,
        is_cheese,
        is_red_meat,
        is_fat_oil_nuts_seeds,
        has_non_nutritive_sweeteners,

        -- dates
        snapshot_date,
        first_seen_date,
        last_seen_date,

        -- lineage
        source_blob,
        source_row

    from snapshots_ranked
    where snapshot_rank = 1

)

select * from final
