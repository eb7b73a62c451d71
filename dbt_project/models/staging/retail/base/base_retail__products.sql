{#- Every raw product snapshot row, typed, with the reason it is rejected (null when it is good).
    Nutrition facts come out of the `nutriments` JSON object (Open Food Facts names) as doubles;
    facts that cannot be right (not a number, negative, above 100 g in 100 g, a part above its
    whole) are named in `nutrition_problem` and leave the row good. -#}
{%- set nutriments = [
    ('energy-kj_100g', 'energy_kj_100g'),
    ('energy-kcal_100g', 'energy_kcal_100g'),
    ('fat_100g', 'fat_100g'),
    ('saturated-fat_100g', 'saturated_fat_100g'),
    ('carbohydrates_100g', 'carbohydrates_100g'),
    ('sugars_100g', 'sugars_100g'),
    ('fiber_100g', 'fiber_100g'),
    ('proteins_100g', 'proteins_100g'),
    ('salt_100g', 'salt_100g'),
    ('sodium_100g', 'sodium_100g'),
    ('fruits-vegetables-legumes-estimate-from-ingredients_100g', 'fruits_vegetables_legumes_pct'),
] -%}
{%- set grams = ['fat_100g', 'saturated-fat_100g', 'carbohydrates_100g', 'sugars_100g', 'fiber_100g',
                 'proteins_100g', 'salt_100g', 'sodium_100g'] -%}
{%- set share = 'fruits-vegetables-legumes-estimate-from-ingredients_100g' -%}
{%- set parts_of = [('saturated-fat_100g', 'fat_100g'), ('sugars_100g', 'carbohydrates_100g')] -%}
{%- set flags = ['is_own_brand', 'is_fresh', 'is_beverage', 'is_water', 'is_cheese', 'is_red_meat',
                 'is_fat_oil_nuts_seeds', 'has_non_nutritive_sweeteners'] -%}
{%- set required = ['name', 'brand', 'is_own_brand', 'category', 'subcategory', 'origin_country', 'net_content',
                    'net_content_unit', 'case_size', 'shelf_life_days', 'is_fresh', 'price_eur', 'vat_rate',
                    'is_beverage', 'is_water', 'is_cheese', 'is_red_meat', 'is_fat_oil_nuts_seeds',
                    'has_non_nutritive_sweeteners'] -%}
with

source as (

    select * from {{ source('retail', 'products') }}
    where {{ ingest_date_window('_ingest_date') }}

),

checked as (

    select
        *,
        case
            when {{ any_null(['gtin', 'snapshot_date', 'producer_gln']) }}
                then {{ missing_reason('null_key', ['gtin', 'snapshot_date', 'producer_gln']) }}
            when not {{ is_valid_gtin('gtin') }}
                then {{ reject_reason('bad_gtin', 'gtin', 'is not a GTIN with a valid check digit') }}
            when not {{ is_valid_gln('producer_gln') }}
                then {{ reject_reason('bad_gln', 'producer_gln', 'is not a GLN with a valid check digit') }}
            when {{ parse_date('snapshot_date') }} is null
                then {{ reject_reason('bad_value', 'snapshot_date', 'is not a date YYYY-MM-DD') }}
            when {{ any_null(required) }}
                then {{ missing_reason('bad_value', required) }}
            when length(name) > 200
                then {{ reject_reason('bad_value', 'name', 'is longer than 200 characters') }}
            when category not in ('fruits_vegetables', 'dairy', 'cheese', 'bakery', 'meat', 'fish', 'grocery',
                                  'snacks_sweets', 'beverages', 'water', 'frozen', 'oils_fats', 'household')
                then {{ reject_reason('bad_value', 'category', 'is not a category of the contract') }}
            when length(origin_country) > 2
                then {{ reject_reason('bad_value', 'origin_country', 'is not an ISO 3166-1 alpha-2 code') }}
            when net_content_unit not in ('g', 'kg', 'ml', 'l')
                then {{ reject_reason('bad_value', 'net_content_unit', 'is not one of g, kg, ml, l') }}
            when not coalesce({{ to_json_decimal('net_content') }} > 0, false)
                then {{ reject_reason('bad_value', 'net_content', 'is not a positive number') }}
            when {{ to_integer('case_size') }} is null
                then {{ reject_reason('bad_value', 'case_size', 'is not a whole number') }}
            when {{ to_integer('case_size') }} < 1
                then {{ reject_reason('negative_quantity', 'case_size', 'must be at least 1') }}
            when not coalesce({{ to_integer('shelf_life_days') }} >= 1, false)
                then {{ reject_reason('bad_value', 'shelf_life_days', 'is not a whole number of days from 1') }}
            when not coalesce({{ to_json_decimal('price_eur') }} >= 0, false)
                then {{ reject_reason('bad_value', 'price_eur', 'is not a price in EUR') }}
            when not coalesce({{ to_json_decimal('vat_rate') }} between 0 and 100, false)
                then {{ reject_reason('bad_value', 'vat_rate', 'is not a rate in %') }}
            {%- for flag in flags %}
            when {{ parse_boolean(flag) }} is null
                then {{ reject_reason('bad_value', flag, 'is not true or false') }}
            {%- endfor %}
        end as row_problem,
        -- Nutrition facts that cannot be right reject the facts, not the product: it stays in the
        -- catalog with Nutri-Score "unknown" (int_products_nutriscored, fct_nutrition_rejections).
        case
            when nutriments is not null
                and not {{ is_json_kind('nutriments', 'object') }}
                and not {{ is_json_kind('nutriments', 'null') }}
                then {{ reject_reason('bad_value', 'nutriments', 'is not a JSON object') }}
            {%- for member, _ in nutriments %}
            when {{ json_text('nutriments', member) }} is not null
                and {{ to_json_double(json_text('nutriments', member)) }} is null
                then {{ reject_reason('bad_value', json_text('nutriments', member), 'is not a number',
                                      field='nutriments.' ~ member) }}
            when {{ to_json_double(json_text('nutriments', member)) }} < 0
                then {{ reject_reason('negative_value', json_text('nutriments', member),
                                      'is negative: a content per 100 g cannot be', field='nutriments.' ~ member) }}
            {%- endfor %}
            {%- for member in grams %}
            when {{ to_json_double(json_text('nutriments', member)) }} > 100
                then {{ reject_reason('too_high', json_text('nutriments', member),
                                      'is more than 100 g in 100 g', field='nutriments.' ~ member) }}
            {%- endfor %}
            when {{ to_json_double(json_text('nutriments', share)) }} > 100
                then {{ reject_reason('too_high', json_text('nutriments', share), 'is a share above 100 %',
                                      field='nutriments.' ~ share) }}
            {%- for part, whole in parts_of %}
            when {{ to_json_double(json_text('nutriments', part)) }}
                > {{ to_json_double(json_text('nutriments', whole)) }}
                then 'inconsistent: nutriments.{{ part }} "' || {{ json_text('nutriments', part) }}
                    || '" is more than nutriments.{{ whole }} "' || {{ json_text('nutriments', whole) }}
                    || '" (a part cannot exceed its whole)'
            {%- endfor %}
        end as nutrition_problem

    from source

),

typed as (

    select
        -- ids
        gtin,
        producer_gln as producer_id,

        -- strings
        name,
        brand,
        category,
        subcategory,
        origin_country,
        net_content_unit,
        case when {{ is_json_kind('nutriments', 'object') }} then nutriments end as nutriments_json,

        -- numerics
        {{ to_json_decimal('net_content') }} as net_content,
        {{ to_integer('case_size') }} as case_size,
        {{ to_integer('shelf_life_days') }} as shelf_life_days,
        {{ to_json_decimal('price_eur') }} as price_eur,
        {{ to_json_decimal('vat_rate') }} as vat_rate,
        {%- for member, column in nutriments %}
        {{ to_json_double(json_text('nutriments', member)) }} as {{ column }},
        {%- endfor %}

        -- booleans
        {%- for flag in flags %}
        {{ parse_boolean(flag) }} as {{ flag }},
        {%- endfor %}

        -- dates
        {{ parse_date('snapshot_date') }} as snapshot_date,

        -- lineage
        _ingest_date as ingest_date,
        _source_blob as source_blob,
        _source_row as source_row,
        {{ row_key(['gtin', 'snapshot_date']) }} as row_key,

        row_problem,
        nutrition_problem

    from checked

),

deduplicated as (

    select
        typed.*,
        -- one row per product in a snapshot: the first good delivery wins
        {{ delivery_rank(['snapshot_date', 'gtin']) }}

    from typed
    {{ join_earlier_deliveries(['snapshot_date', 'gtin']) }}

),

final as (

    select
        gtin,
        producer_id,
        name,
        brand,
        category,
        subcategory,
        origin_country,
        net_content_unit,
        nutriments_json,
        net_content,
        case_size,
        shelf_life_days,
        price_eur,
        vat_rate,
        {%- for _, column in nutriments %}
        {{ column }},
        {%- endfor %}
        {%- for flag in flags %}
        {{ flag }},
        {%- endfor %}
        snapshot_date,
        ingest_date,
        source_blob,
        source_row,
        row_key,
        nutrition_problem,
        case
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: product ' || gtin || ' appears more than once in the snapshot of '
                    || cast(snapshot_date as {{ string_type() }})
        end as rejection_reason

    from deduplicated

)

select * from final
