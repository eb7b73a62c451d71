{#- Healthier swaps: for each product graded D or E that a store sells, the better-graded products
    of the same category that the same store sells, best first: same subcategory first (a yoghurt
    for a yoghurt), then the best grade, then the closest price. "Sells" means sold in the four
    weeks up to the newest sales date the warehouse holds. Prices are the catalog's
    regular prices; the price per kg or litre compares packs of different sizes. The best
    `healthier_swaps_per_product` (var, default 5) alternatives are kept per store and product. -#}
with

products as (

    select * from {{ ref('dim_products') }}

),

sales as (

    select * from {{ ref('fct_sales_daily') }}

),

-- the newest sales date held, not the run's date: re-running an older date rebuilds the same table
as_of_date as (

    select max(sold_date) as as_of_date from sales

),

sold_in_store as (

    select distinct
        sales.store_id,
        sales.gtin

    from sales
    cross join as_of_date
    where sales.sold_date <= as_of_date.as_of_date
        and sales.sold_date > {{ dbt.dateadd('day', -28, 'as_of_date.as_of_date') }}
        and sales.units_sold > 0

),

graded_products as (

    select
        gtin,
        product_name,
        category,
        subcategory,
        nutriscore_grade,
        nutriscore_score,
        price_eur,
        -- the pack in kg or litres, and which of the two (a swap compares like with like)
        case net_content_unit
            when 'g' then net_content / 1000
            when 'ml' then net_content / 1000
            else net_content
        end as pack_quantity,
        case when net_content_unit in ('g', 'kg') then 'kg' else 'l' end as pack_unit

    from products
    where nutriscore_grade in ('a', 'b', 'c', 'd', 'e')

),

products_in_store as (

    select
        sold_in_store.store_id,
        graded_products.*

    from sold_in_store
    inner join graded_products on graded_products.gtin = sold_in_store.gtin

),

swaps_ranked as (

    select
        poor.store_id,
        poor.gtin,
        better.gtin as swap_gtin,
        poor.product_name,
        better.product_name as swap_product_name,
        poor.category,
        poor.nutriscore_grade,
        better.nutriscore_grade as swap_nutriscore_grade,
        poor.nutriscore_score,
        better.nutriscore_score as swap_nutriscore_score,
        poor.price_eur,
        better.price_eur as swap_price_eur,
        better.price_eur - poor.price_eur as price_difference_eur,
        case
            when poor.pack_unit = better.pack_unit and poor.pack_quantity > 0 and better.pack_quantity > 0
                then better.price_eur / better.pack_quantity - poor.price_eur / poor.pack_quantity
        end as price_per_kg_or_l_difference_eur,
        poor.subcategory = better.subcategory as is_same_subcategory,
        row_number() over (
            partition by poor.store_id, poor.gtin
            order by
                case when poor.subcategory = better.subcategory then 0 else 1 end,
                better.nutriscore_grade,
                abs(better.price_eur - poor.price_eur),
                better.gtin
        ) as swap_rank

    from products_in_store as poor
    inner join products_in_store as better
        on better.store_id = poor.store_id
        and better.category = poor.category
        and better.nutriscore_grade < poor.nutriscore_grade
    where poor.nutriscore_grade in ('d', 'e')

),

final as (

    select
        -- ids
        cast(swaps_ranked.store_id as {{ string_type() }}) as store_id,
        cast(swaps_ranked.gtin as {{ string_type() }}) as gtin,
        cast(swaps_ranked.swap_gtin as {{ string_type() }}) as swap_gtin,

        -- strings
        cast(swaps_ranked.product_name as {{ string_type() }}) as product_name,
        cast(swaps_ranked.swap_product_name as {{ string_type() }}) as swap_product_name,
        cast(swaps_ranked.category as {{ string_type() }}) as category,
        cast(swaps_ranked.nutriscore_grade as {{ string_type() }}) as nutriscore_grade,
        cast(swaps_ranked.swap_nutriscore_grade as {{ string_type() }}) as swap_nutriscore_grade,

        -- numerics
        cast(swaps_ranked.swap_rank as integer) as swap_rank,
        cast(swaps_ranked.nutriscore_score as integer) as nutriscore_score,
        cast(swaps_ranked.swap_nutriscore_score as integer) as swap_nutriscore_score,
        cast(swaps_ranked.price_eur as numeric(18, 4)) as price_eur,
        cast(swaps_ranked.swap_price_eur as numeric(18, 4)) as swap_price_eur,
        cast(swaps_ranked.price_difference_eur as numeric(18, 4)) as price_difference_eur,
        cast(swaps_ranked.price_per_kg_or_l_difference_eur as numeric(18, 4)) as price_per_kg_or_l_difference_eur,

        -- booleans
        cast(swaps_ranked.is_same_subcategory as boolean) as is_same_subcategory,

        -- dates
        cast(as_of_date.as_of_date as date) as as_of_date

    from swaps_ranked
    cross join as_of_date
    where swaps_ranked.swap_rank <= {{ var('healthier_swaps_per_product', 5) }}

)

select * from final
