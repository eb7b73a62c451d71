{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['store_id', 'snapshot_date'],
        on_schema_change='append_new_columns',
    )
}}

{#- On-shelf availability per store and day, from the recorded end-of-day stock (fct_inventory_daily):
    a product is listed in a store on a day when the store sent a stock record for it, and available
    when the recorded on-hand is above zero. Recorded stock can be phantom (units the system
    believes are there), so this rate is an upper bound of what shoppers saw.
    The sales-weighted rate weighs each listed product by its units sold in the store over the
    28 days before the day (fct_sales_daily): a shelf that sells more counts more. Products with no
    sale in those 28 days weigh nothing, so a shelf frozen empty for four weeks drops out of it; the
    rate is null when no listed product sold in the 28 days (the first days of the data). -#}
with

inventory_daily as (

    select * from {{ ref('fct_inventory_daily') }}
    where {{ ingest_date_window('ingest_date') }}

),

-- sales from 28 days before the window's first day, for the trailing weights
sales_daily as (

    select * from {{ ref('fct_sales_daily') }}
    where sold_date >= (select {{ dbt.dateadd('day', -28, 'min(snapshot_date)') }} from inventory_daily)
        and sold_date < (select max(snapshot_date) from inventory_daily)

),

trailing_sales as (

    select
        inventory_daily.store_id,
        inventory_daily.gtin,
        inventory_daily.snapshot_date,
        sum(sales_daily.units_sold) as trailing_28d_units_sold

    from inventory_daily
    inner join sales_daily
        on inventory_daily.store_id = sales_daily.store_id
        and inventory_daily.gtin = sales_daily.gtin
        and sales_daily.sold_date >= {{ dbt.dateadd('day', -28, 'inventory_daily.snapshot_date') }}
        and sales_daily.sold_date < inventory_daily.snapshot_date
    group by inventory_daily.store_id, inventory_daily.gtin, inventory_daily.snapshot_date

),

weighted_inventory as (

    select
        inventory_daily.store_id,
        inventory_daily.snapshot_date,
        inventory_daily.ingest_date,
        inventory_daily.on_hand_qty,
        coalesce(trailing_sales.trailing_28d_units_sold, 0) as sales_weight

    from inventory_daily
    left join trailing_sales
        on inventory_daily.store_id = trailing_sales.store_id
        and inventory_daily.gtin = trailing_sales.gtin
        and inventory_daily.snapshot_date = trailing_sales.snapshot_date

),

availability_per_store_day as (

    select
        store_id,
        snapshot_date,
        ingest_date,
        count(*) as products_listed,
        sum(case when on_hand_qty > 0 then 1 else 0 end) as products_in_stock,
        sum(case when on_hand_qty <= 0 then 1 else 0 end) as products_at_zero,
        sum(sales_weight) as trailing_28d_units_sold,
        sum(case when on_hand_qty > 0 then sales_weight else 0 end) as trailing_28d_units_sold_in_stock

    from weighted_inventory
    group by store_id, snapshot_date, ingest_date

),

final as (

    select
        cast(store_id as {{ string_type() }}) as store_id,
        cast(products_listed as bigint) as products_listed,
        cast(products_in_stock as bigint) as products_in_stock,
        cast(products_at_zero as bigint) as products_at_zero,
        cast(
            round(cast(products_in_stock as numeric(18, 6)) / nullif(products_listed, 0), 4) as numeric(9, 4)
        ) as on_shelf_availability_rate,
        cast(trailing_28d_units_sold as bigint) as trailing_28d_units_sold,
        cast(trailing_28d_units_sold_in_stock as bigint) as trailing_28d_units_sold_in_stock,
        cast(
            round(
                cast(trailing_28d_units_sold_in_stock as numeric(18, 6)) / nullif(trailing_28d_units_sold, 0), 4
            ) as numeric(9, 4)
        ) as sales_weighted_availability_rate,
        cast(snapshot_date as date) as snapshot_date,
        cast(ingest_date as date) as ingest_date

    from availability_per_store_day

)

select * from final
