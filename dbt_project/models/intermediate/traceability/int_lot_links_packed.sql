{#- Lot → logistic unit links of EPCIS AggregationEvents (action ADD or OBSERVE): one row per child
    of an aggregation whose parent is an SSCC. A class-level child (LGTIN quantity) keeps its GTIN
    and lot on both sides, so the pallet row says which lot it carries and how much; an
    instance-level child (an SGTIN, or a case SSCC on a pallet) links its own keys to the pallet.
    Aggregations that remove children (DELETE) and cancelled events are left out. -#}
with

int_epcis_items_parsed as (

    select * from {{ ref('int_epcis_items_parsed') }}

),

int_epcis_events_enriched as (

    select * from {{ ref('int_epcis_events_enriched') }}

),

aggregations as (

    select * from int_epcis_events_enriched
    where event_type = 'AggregationEvent'
        and action in ('ADD', 'OBSERVE')
        and not is_cancelled

),

parents as (

    select
        event_key,
        sscc as parent_sscc

    from int_epcis_items_parsed
    where role = 'parent'
        and sscc is not null

),

children as (

    select * from int_epcis_items_parsed
    where role in ('child', 'child_epc')

),

links as (

    select
        children.event_key,
        children.role,
        children.position,
        aggregations.desadv_id as reference_id,
        children.gtin14,
        children.gtin,
        children.lot,
        children.sscc as from_sscc,
        parents.parent_sscc as to_sscc,
        aggregations.location_id,
        children.quantity,
        children.uom,
        aggregations.event_date as link_date,
        aggregations.event_at,
        greatest(children.ingest_date, aggregations.ingest_date) as ingest_date

    from children
    inner join aggregations
        on children.event_key = aggregations.event_key
    inner join parents
        on children.event_key = parents.event_key

),

final as (

    select
        -- link
        {{ dbt.hash(dbt.concat([
            "'packed_into|'", "event_key", "'|'", "role", "'|'", "cast(position as varchar)"
        ])) }} as link_id,
        'packed_into' as link_type,
        'epcis' as source,
        event_key,
        cast(null as varchar) as transformation_id,
        reference_id,

        -- from
        gtin14 as from_gtin14,
        gtin as from_gtin,
        lot as from_lot,
        from_sscc,
        location_id as from_location_id,

        -- to
        gtin14 as to_gtin14,
        gtin as to_gtin,
        lot as to_lot,
        to_sscc,
        location_id as to_location_id,

        -- quantities
        quantity as input_quantity,
        quantity as output_quantity,
        quantity as allocated_quantity,
        uom,
        uom as output_uom,

        -- when
        link_date,
        ingest_date,
        event_at

    from links

)

select * from final
