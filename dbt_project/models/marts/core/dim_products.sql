{#- One row per product (GTIN): its attributes in the latest catalog snapshot that lists it, the
    first and last snapshot dates it appeared in, its nutrition facts per 100 g/ml as staging gives
    them, and its Nutri-Score with every component's points (int_products_nutriscored). -#}
with

products as (

    select * from {{ ref('int_products_deduplicated') }}

),

nutriscores as (

    select * from {{ ref('int_products_nutriscored') }}

),

final as (

    select
        -- ids
        cast(products.gtin as {{ string_type() }}) as gtin,
        cast(producer_id as {{ string_type() }}) as producer_id,

        -- strings
        cast(name as {{ string_type() }}) as product_name,
        cast(brand as {{ string_type() }}) as brand,
        cast(category as {{ string_type() }}) as category,
        cast(subcategory as {{ string_type() }}) as subcategory,
        cast(origin_country as {{ string_type() }}) as origin_country,
        cast(net_content_unit as {{ string_type() }}) as net_content_unit,
        cast(nutriments_json as {{ string_type() }}) as nutriments_json,

        -- numerics
        cast(net_content as numeric(18, 4)) as net_content,
        cast(case_size as bigint) as case_size,
        cast(shelf_life_days as bigint) as shelf_life_days,
        cast(price_eur as numeric(18, 4)) as price_eur,
        cast(vat_rate as numeric(18, 4)) as vat_rate,
        cast(energy_kj_100g as {{ double_type() }}) as energy_kj_100g,
        cast(energy_kcal_100g as {{ double_type() }}) as energy_kcal_100g,
        cast(fat_100g as {{ double_type() }}) as fat_100g,
        cast(saturated_fat_100g as {{ double_type() }}) as saturated_fat_100g,
        cast(carbohydrates_100g as {{ double_type() }}) as carbohydrates_100g,
        cast(sugars_100g as {{ double_type() }}) as sugars_100g,
        cast(fiber_100g as {{ double_type() }}) as fiber_100g,
        cast(proteins_100g as {{ double_type() }}) as proteins_100g,
        cast(salt_100g as {{ double_type() }}) as salt_100g,
        cast(sodium_100g as {{ double_type() }}) as sodium_100g,
        cast(fruits_vegetables_legumes_pct as {{ double_type() }}) as fruits_vegetables_legumes_pct,

        -- booleans
        cast(is_own_brand as boolean) as is_own_brand,
        cast(is_fresh as boolean) as is_fresh,
        cast(is_beverage as boolean) as is_beverage,
        cast(is_water as boolean) as is_water,
        cast(is_cheese as boolean) as is_cheese,
        cast(is_red_meat as boolean) as is_red_meat,
        cast(is_fat_oil_nuts_seeds as boolean) as is_fat_oil_nuts_seeds,
        cast(has_non_nutritive_sweeteners as boolean) as has_non_nutritive_sweeteners,

        -- the Nutri-Score, its grade explained by every component's points
        cast(nutriscores.nutriscore_grade as {{ string_type() }}) as nutriscore_grade,
        cast(nutriscores.nutriscore_scale as {{ string_type() }}) as nutriscore_scale,
        cast(nutriscores.missing_fields as {{ string_type() }}) as nutriscore_missing_fields,
        cast(nutriscores.nutrition_problem as {{ string_type() }}) as nutrition_problem,
        cast(nutriscores.nutriscore_score as integer) as nutriscore_score,
        cast(nutriscores.negative_points as integer) as nutriscore_negative_points,
        cast(nutriscores.positive_points as integer) as nutriscore_positive_points,
        {%- for component in ['energy', 'energy_from_saturated_fat', 'sugars', 'saturated_fat', 'saturated_fat_ratio',
                              'salt', 'non_nutritive_sweeteners', 'proteins', 'fiber', 'fruits_vegetables_legumes'] %}
        cast(nutriscores.{{ component }}_points as integer) as nutriscore_{{ component }}_points,
        {%- endfor %}
        cast(nutriscores.is_protein_counted as boolean) as is_nutriscore_protein_counted,

        -- dates
        cast(first_seen_date as date) as first_seen_date,
        cast(last_seen_date as date) as last_seen_date

    from products
    left join nutriscores on nutriscores.gtin = products.gtin

)

select * from final
