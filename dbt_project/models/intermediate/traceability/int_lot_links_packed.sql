{#- Lot ↔ logistic unit links of EPCIS AggregationEvents whose parent is an SSCC, one row per child:
    packed_into (action ADD or OBSERVE): the child goes onto the pallet. A class-level child
    (LGTIN quantity) keeps its GTIN and lot on both sides, so the pallet row says which lot it
    carries and how much; an instance-level child (an SGTIN, or a case SSCC on a pallet) links its
    own keys to the pallet.
    unpacked (action DELETE): the child comes off the pallet (from_sscc is the pallet). A DELETE
    that lists no child empties the pallet (EPCIS 2.0, 7.4.3): one row with no child keys.
    The trace reads them in time order: a pallet's shipment carries what was on it then.
    Cancelled events are left out. -#}
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
        and action in ('ADD', 'OBSERVE', 'DELETE')
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

listed_children as (

    select
        children.event_key,
        children.role,
        children.position,
        aggregations.desadv_id as reference_id,
        children.gtin14,
        children.gtin,
        children.lot,
        children.sscc as child_sscc,
        parents.parent_sscc as pallet_sscc,
        aggregations.location_id,
        children.quantity,
        children.uom,
        aggregations.event_date as link_date,
        aggregations.event_at,
        greatest(children.ingest_date, aggregations.ingest_date) as ingest_date,
        aggregations.action

    from children
    inner join aggregations
        on children.event_key = aggregations.event_key
    inner join parents
        on children.event_key = parents.event_key

),

pallets_emptied as (

    -- a DELETE listing no child: everything comes off
    select
        aggregations.event_key,
        'parent' as role,
        cast(1 as bigint) as position,
        aggregations.desadv_id as reference_id,
        cast(null as {{ string_type() }}) as gtin14,
        cast(null as {{ string_type() }}) as gtin,
        cast(null as {{ string_type() }}) as lot,
        cast(null as {{ string_type() }}) as child_sscc,
        parents.parent_sscc as pallet_sscc,
        aggregations.location_id,
        cast(null as decimal(18, 4)) as quantity,
        cast(null as {{ string_type() }}) as uom,
        aggregations.event_date as link_date,
        aggregations.event_at,
        aggregations.ingest_date,
        aggregations.action

    from aggregations
    inner join parents
        on aggregations.event_key = parents.event_key
    where aggregations.action = 'DELETE'
        and aggregations.event_key not in (select event_key from children)

),

links as (

    select * from listed_children
    union all
    select * from pallets_emptied

),

typed_links as (

    select
        links.*,
        case when action = 'DELETE' then 'unpacked' else 'packed_into' end as link_type

    from links

),

final as (

    select
        -- link
        {{ dbt.hash(dbt.concat([
            "link_type", "'|'", "event_key", "'|'", "role", "'|'", "cast(position as " ~ string_type() ~ ")"
        ])) }} as link_id,
        link_type,
        'epcis' as source,
        event_key,
        cast(null as {{ string_type() }}) as transformation_id,
        reference_id,

        -- from: the child, or the pallet it comes off
        gtin14 as from_gtin14,
        gtin as from_gtin,
        lot as from_lot,
        case when link_type = 'unpacked' then pallet_sscc else child_sscc end as from_sscc,
        location_id as from_location_id,

        -- to: the pallet, or the child off it
        gtin14 as to_gtin14,
        gtin as to_gtin,
        lot as to_lot,
        case when link_type = 'unpacked' then child_sscc else pallet_sscc end as to_sscc,
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

    from typed_links

)

select * from final
