{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['store_id', 'gtin', 'sold_date'],
        on_schema_change='append_new_columns',
    )
}}

{#- Till sales per store, product and day, from the good POS lines. A store×product×day with no
    sale has no row. Rebuilds the ingest dates of ingest_date_window (run_date and its lookback). -#}
with

pos_lines as (

    select * from {{ ref('stg_retail__pos_lines') }}
    where {{ ingest_date_window('ingest_date') }}

),

sales_per_day as (

    select
        store_id,
        gtin,
        sold_date,
        ingest_date,
        sum(quantity) as units_sold,
        sum(case when is_promoted then quantity else 0 end) as promoted_units_sold,
        sum(line_amount) as revenue_eur,
        sum(coalesce(discount_amount, 0)) as discount_eur,
        count(*) as ticket_lines,
        count(distinct ticket_id) as tickets,
        bool_or(is_promoted) as is_promoted

    from pos_lines
    group by store_id, gtin, sold_date, ingest_date

),

final as (

    select
        cast(store_id as {{ string_type() }}) as store_id,
        cast(gtin as {{ string_type() }}) as gtin,
        cast(units_sold as bigint) as units_sold,
        cast(promoted_units_sold as bigint) as promoted_units_sold,
        cast(revenue_eur as numeric(18, 4)) as revenue_eur,
        cast(discount_eur as numeric(18, 4)) as discount_eur,
        cast(round(revenue_eur / nullif(units_sold, 0), 4) as numeric(18, 4)) as avg_unit_price,
        cast(ticket_lines as bigint) as ticket_lines,
        cast(tickets as bigint) as tickets,
        cast(is_promoted as boolean) as is_promoted,
        cast(sold_date as date) as sold_date,
        cast(ingest_date as date) as ingest_date

    from sales_per_day

)

select * from final
