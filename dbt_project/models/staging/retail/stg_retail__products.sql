with

base as (

    select * from {{ ref('base_retail__products') }}
    where rejection_reason is null

),

renamed as (

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
        ingest_date,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
