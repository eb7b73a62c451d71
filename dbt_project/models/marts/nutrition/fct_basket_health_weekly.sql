{#- Basket health per store and ISO week: how the units and the revenue of the food and drinks it
    sold spread over the Nutri-Score grades (and "unknown" where a product has none), the mean
    score of a unit sold, and the trend: the share of A and B units against four weeks before and
    its slope over the last eight weeks (points of share per week). Which stores improve: a rising
    healthy_units_share, a falling mean score. Non-food is left out. Rebuilt whole on each run (a
    product's grade can change; the table is small: stores × weeks). -#}
{%- set grades = ['a', 'b', 'c', 'd', 'e', 'unknown'] %}
with

sales as (

    select * from {{ ref('fct_sales_daily') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

graded_sales as (

    select
        sales.store_id,
        cast({{ dbt.date_trunc('week', 'sales.sold_date') }} as date) as week_start_date,
        sales.sold_date,
        products.nutriscore_grade,
        products.nutriscore_score,
        sales.units_sold,
        sales.revenue_eur

    from sales
    inner join products on products.gtin = sales.gtin
    where products.nutriscore_grade <> 'not-applicable'

),

weeks as (

    select
        store_id,
        week_start_date,
        count(distinct sold_date) as trading_days,
        sum(units_sold) as units_sold,
        sum(revenue_eur) as revenue_eur,
        {%- for grade in grades %}
        sum(case when nutriscore_grade = '{{ grade }}' then units_sold else 0 end) as units_{{ grade }},
        sum(case when nutriscore_grade = '{{ grade }}' then revenue_eur else 0 end) as revenue_{{ grade }},
        {%- endfor %}
        sum(nutriscore_score * units_sold) * 1.0
            / nullif(sum(case when nutriscore_score is not null then units_sold else 0 end), 0) as mean_nutriscore_score

    from graded_sales
    group by store_id, week_start_date

),

shares as (

    select
        *,
        {%- for grade in grades %}
        units_{{ grade }} * 1.0 / nullif(units_sold, 0) as units_share_{{ grade }},
        cast(revenue_{{ grade }} as {{ double_type() }}) / nullif(revenue_eur, 0) as revenue_share_{{ grade }},
        {%- endfor %}
        (units_a + units_b) * 1.0 / nullif(units_sold - units_unknown, 0) as healthy_units_share,
        (units_d + units_e) * 1.0 / nullif(units_sold - units_unknown, 0) as unhealthy_units_share,
        -- weeks since 2000-01-03 (a Monday): the x of the trend
        ({{ dbt.datediff("cast('2000-01-03' as date)", 'week_start_date', 'day') }}) / 7 as week_number

    from weeks

),

trends as (

    select
        *,
        healthy_units_share - lag(healthy_units_share, 4) over (
            partition by store_id order by week_start_date
        ) as healthy_units_share_change_4w,
        -- a slope needs two weeks (with one, DuckDB says NaN and PostgreSQL null)
        case
            when count(healthy_units_share) over last_eight_weeks >= 2
                then regr_slope(healthy_units_share, week_number) over last_eight_weeks
        end as healthy_units_share_trend_8w

    from shares
    window last_eight_weeks as (
        partition by store_id order by week_start_date rows between 7 preceding and current row
    )

),

final as (

    select
        -- ids
        cast(store_id as {{ string_type() }}) as store_id,

        -- numerics
        cast(trading_days as integer) as trading_days,
        cast(units_sold as bigint) as units_sold,
        cast(revenue_eur as numeric(18, 2)) as revenue_eur,
        {%- for grade in grades %}
        cast(units_{{ grade }} as bigint) as units_{{ grade }},
        cast(units_share_{{ grade }} as {{ double_type() }}) as units_share_{{ grade }},
        cast(revenue_share_{{ grade }} as {{ double_type() }}) as revenue_share_{{ grade }},
        {%- endfor %}
        cast(healthy_units_share as {{ double_type() }}) as healthy_units_share,
        cast(unhealthy_units_share as {{ double_type() }}) as unhealthy_units_share,
        cast(mean_nutriscore_score as {{ double_type() }}) as mean_nutriscore_score,
        cast(healthy_units_share_change_4w as {{ double_type() }}) as healthy_units_share_change_4w,
        cast(healthy_units_share_trend_8w as {{ double_type() }}) as healthy_units_share_trend_8w,

        -- dates
        cast(week_start_date as date) as week_start_date

    from trends

)

select * from final
