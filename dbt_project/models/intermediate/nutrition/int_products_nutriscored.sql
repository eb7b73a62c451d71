{#- The Nutri-Score of each product (the 2022 update for foods, 2023 for beverages): its score, its
    grade, its scale and every component's points, so a grade can be explained. Computed from the
    latest catalog row (int_products_deduplicated) and the threshold tables (seed
    nutriscore_thresholds, written by `retail-factory nutriscore --thresholds` from
    retail_factory.nutrition.nutriscore, which scores the same way on the command line).

    A component's points are the thresholds its value exceeds (`>`; `>=` for the saturated fat
    share). Grade "unknown" when a required value is missing (named in nutriscore_missing_fields)
    or the facts cannot be right (nutrition_problem); "not-applicable" for non-food. -#}
with

products as (

    select * from {{ ref('int_products_deduplicated') }}

),

thresholds as (

    select * from {{ ref('nutriscore_thresholds') }}

),

inputs as (

    select
        gtin,
        nutrition_problem,
        case
            when category = 'household' then 'not_applicable'
            when is_beverage and is_water then 'water'
            when is_beverage then 'beverage'
            when is_fat_oil_nuts_seeds then 'fats_oils_nuts_seeds'
            else 'food'
        end as nutriscore_scale,
        coalesce(energy_kj_100g, energy_kcal_100g * 4.184) as energy_kj,
        -- no fat (or no carbohydrates) at all: none of the part either, as the reference deduces
        case when saturated_fat_100g is null and fat_100g = 0 then 0.0 else saturated_fat_100g end as saturated_fat_g,
        case when sugars_100g is null and carbohydrates_100g = 0 then 0.0 else sugars_100g end as sugars_g,
        coalesce(salt_100g, sodium_100g * 2.5) as salt_g,
        fat_100g as fat_g,
        proteins_100g as proteins_g,
        coalesce(fiber_100g, 0.0) as fiber_g,
        coalesce(fruits_vegetables_legumes_pct, 0.0) as fruits_vegetables_legumes_pct,
        is_cheese,
        is_red_meat,
        has_non_nutritive_sweeteners

    from products

),

inputs_checked as (

    select
        *,
        nullif(concat_ws(', ',
            case when energy_kj is null then 'energy-kj_100g' end,
            case when saturated_fat_g is null then 'saturated-fat_100g' end,
            case when sugars_g is null then 'sugars_100g' end,
            case when salt_g is null then 'salt_100g' end,
            case when proteins_g is null then 'proteins_100g' end,
            case when nutriscore_scale = 'fats_oils_nuts_seeds' and fat_g is null then 'fat_100g' end
        ), '') as missing_fields

    from inputs

),

scorable as (

    select * from inputs_checked
    where nutriscore_scale in ('food', 'fats_oils_nuts_seeds', 'beverage')
        and missing_fields is null
        and nutrition_problem is null

),

component_values as (

    select gtin, nutriscore_scale, 'energy' as component, energy_kj as component_value
    from scorable where nutriscore_scale <> 'fats_oils_nuts_seeds'
    union all
    select gtin, nutriscore_scale, 'saturated_fat' as component, saturated_fat_g as component_value
    from scorable where nutriscore_scale <> 'fats_oils_nuts_seeds'
    union all
    select gtin, nutriscore_scale, 'energy_from_saturated_fat' as component, saturated_fat_g * 37 as component_value
    from scorable where nutriscore_scale = 'fats_oils_nuts_seeds'
    union all
    select
        gtin,
        nutriscore_scale,
        'saturated_fat_ratio' as component,
        case
            when saturated_fat_g <= 0 then 0.0
            when fat_g > 0 then 100 * saturated_fat_g / fat_g
            else 100.0
        end as component_value
    from scorable where nutriscore_scale = 'fats_oils_nuts_seeds'
    union all
    select gtin, nutriscore_scale, 'sugars' as component, sugars_g as component_value from scorable
    union all
    select gtin, nutriscore_scale, 'salt' as component, salt_g as component_value from scorable
    union all
    select gtin, nutriscore_scale, 'proteins' as component, proteins_g as component_value from scorable
    union all
    select gtin, nutriscore_scale, 'fiber' as component, fiber_g as component_value from scorable
    union all
    select
        gtin, nutriscore_scale, 'fruits_vegetables_legumes' as component, fruits_vegetables_legumes_pct as component_value
    from scorable

),

component_points as (

    select
        component_values.gtin,
        component_values.component,
        count(thresholds.threshold) as points

    from component_values
    left join thresholds
        on thresholds.scale = component_values.nutriscore_scale
        and thresholds.component = component_values.component
        and (
            case
                when thresholds.comparison = '>=' then component_values.component_value >= thresholds.threshold
                else component_values.component_value > thresholds.threshold
            end
        )
    group by component_values.gtin, component_values.component

),

points_per_product as (

    select
        gtin,
        {%- for component in ['energy', 'energy_from_saturated_fat', 'sugars', 'saturated_fat',
                              'saturated_fat_ratio', 'salt', 'proteins', 'fiber', 'fruits_vegetables_legumes'] %}
        max(case when component = '{{ component }}' then points end) as {{ component }}_points{{ ',' if not loop.last }}
        {%- endfor %}

    from component_points
    group by gtin

),

points_with_rules as (

    select
        scorable.gtin,
        scorable.nutriscore_scale,
        scorable.is_cheese,
        points_per_product.energy_points,
        points_per_product.energy_from_saturated_fat_points,
        points_per_product.sugars_points,
        points_per_product.saturated_fat_points,
        points_per_product.saturated_fat_ratio_points,
        points_per_product.salt_points,
        case
            when scorable.nutriscore_scale <> 'beverage' then null
            when scorable.has_non_nutritive_sweeteners then 4
            else 0
        end as non_nutritive_sweeteners_points,
        -- red meat: at most 2 protein points
        case
            when scorable.is_red_meat then least(points_per_product.proteins_points, 2)
            else points_per_product.proteins_points
        end as proteins_points,
        points_per_product.fiber_points,
        points_per_product.fruits_vegetables_legumes_points

    from scorable
    inner join points_per_product on points_per_product.gtin = scorable.gtin

),

negative_points_summed as (

    select
        *,
        coalesce(energy_points, 0) + coalesce(energy_from_saturated_fat_points, 0) + sugars_points
            + coalesce(saturated_fat_points, 0) + coalesce(saturated_fat_ratio_points, 0) + salt_points
            + coalesce(non_nutritive_sweeteners_points, 0) as negative_points

    from points_with_rules

),

proteins_decided as (

    select
        *,
        -- proteins count for a beverage or a cheese always, for fats, oils, nuts and seeds below
        -- 7 negative points, for other foods below 11
        case
            when nutriscore_scale = 'beverage' or is_cheese then true
            when nutriscore_scale = 'fats_oils_nuts_seeds' then negative_points < 7
            else negative_points < 11
        end as is_protein_counted

    from negative_points_summed

),

scored as (

    select
        *,
        fiber_points + fruits_vegetables_legumes_points
            + case when is_protein_counted then proteins_points else 0 end as positive_points

    from proteins_decided

),

final as (

    select
        inputs_checked.gtin,
        inputs_checked.nutriscore_scale,
        case
            when inputs_checked.nutriscore_scale = 'not_applicable' then 'not-applicable'
            when inputs_checked.nutrition_problem is not null then 'unknown'
            when inputs_checked.nutriscore_scale = 'water' then 'a'
            when scored.gtin is null then 'unknown'
            when scored.nutriscore_scale = 'beverage' then
                case
                    when scored.negative_points - scored.positive_points <= 2 then 'b'
                    when scored.negative_points - scored.positive_points <= 6 then 'c'
                    when scored.negative_points - scored.positive_points <= 9 then 'd'
                    else 'e'
                end
            else
                case
                    when scored.negative_points - scored.positive_points
                        <= case when scored.nutriscore_scale = 'fats_oils_nuts_seeds' then -6 else 0 end then 'a'
                    when scored.negative_points - scored.positive_points <= 2 then 'b'
                    when scored.negative_points - scored.positive_points <= 10 then 'c'
                    when scored.negative_points - scored.positive_points <= 18 then 'd'
                    else 'e'
                end
        end as nutriscore_grade,
        case
            when inputs_checked.nutriscore_scale = 'water' and inputs_checked.nutrition_problem is null then 0
            else scored.negative_points - scored.positive_points
        end as nutriscore_score,
        scored.negative_points,
        scored.positive_points,
        scored.is_protein_counted,
        scored.energy_points,
        scored.energy_from_saturated_fat_points,
        scored.sugars_points,
        scored.saturated_fat_points,
        scored.saturated_fat_ratio_points,
        scored.salt_points,
        scored.non_nutritive_sweeteners_points,
        scored.proteins_points,
        scored.fiber_points,
        scored.fruits_vegetables_legumes_points,
        case
            when inputs_checked.nutriscore_scale in ('food', 'fats_oils_nuts_seeds', 'beverage')
                then inputs_checked.missing_fields
        end as missing_fields,
        inputs_checked.nutrition_problem

    from inputs_checked
    left join scored on scored.gtin = inputs_checked.gtin

)

select * from final
