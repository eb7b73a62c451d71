{#- Where each product comes from, for the consumer: country of origin, producer, whether the
    chain made it in its own plants, and the share of the units its stores received whose lot
    traces back to a farm (through the lot genealogy: a farm's lot shipped to a plant, and every
    lot made from it at any depth). Units received stand for units sold: a till line carries no
    lot, and stores sell the oldest lots first. -#}
with recursive

products as (

    select * from {{ ref('dim_products') }}

),

producers as (

    select * from {{ ref('dim_producers') }}

),

lot_links as (

    select * from {{ ref('fct_lot_links') }}

),

locations as (

    select * from {{ ref('dim_locations') }}

),

receipts as (

    select * from {{ ref('fct_receipts') }}

),

farm_lots_shipped as (

    select distinct
        lot_links.from_gtin as gtin,
        lot_links.from_lot as lot

    from lot_links
    inner join locations on locations.location_id = lot_links.from_location_id
    where lot_links.link_type = 'shipped'
        and locations.location_type = 'farm'
        and lot_links.from_lot is not null

),

transformations as (

    select distinct
        from_gtin,
        from_lot,
        to_gtin,
        to_lot

    from lot_links
    where link_type = 'transformed_into'

),

-- Every lot made, at any depth, from a farm's lot. Spark's recursive CTEs take `union all` only, so
-- rows are deduplicated after the recursion, and `depth` ends a cycle in bad data.
lot_lineage (gtin, lot, depth) as (

    select gtin, lot, 0 from farm_lots_shipped
    union all
    select
        transformations.to_gtin as gtin,
        transformations.to_lot as lot,
        lot_lineage.depth + 1 as depth

    from transformations
    inner join lot_lineage
        on lot_lineage.gtin = transformations.from_gtin
        and lot_lineage.lot = transformations.from_lot
    where lot_lineage.depth < 16

),

lots_traced_to_farms as (

    select distinct gtin, lot from lot_lineage

),

received_units as (

    select
        receipts.gtin,
        sum(receipts.received_qty) as units_received,
        sum(case when lots_traced_to_farms.lot is not null then receipts.received_qty else 0 end)
            as units_traced_to_farm

    from receipts
    left join lots_traced_to_farms
        on lots_traced_to_farms.gtin = receipts.gtin
        and lots_traced_to_farms.lot = receipts.lot
    group by receipts.gtin

),

final as (

    select
        -- ids
        cast(products.gtin as {{ string_type() }}) as gtin,
        cast(products.producer_id as {{ string_type() }}) as producer_id,

        -- strings
        cast(products.product_name as {{ string_type() }}) as product_name,
        cast(products.origin_country as {{ string_type() }}) as origin_country,
        cast(producers.producer_name as {{ string_type() }}) as producer_name,
        cast(producers.producer_kind as {{ string_type() }}) as producer_kind,

        -- numerics
        cast(coalesce(received_units.units_received, 0) as bigint) as units_received,
        cast(coalesce(received_units.units_traced_to_farm, 0) as bigint) as units_traced_to_farm,
        cast(
            received_units.units_traced_to_farm * 1.0 / nullif(received_units.units_received, 0) as {{ double_type() }}
        ) as farm_traced_share,

        -- booleans
        cast(coalesce(producers.is_chain_owned, false) as boolean) as is_chain_produced

    from products
    left join producers on producers.producer_id = products.producer_id
    left join received_units on received_units.gtin = products.gtin

)

select * from final
