{#- Movements EPCIS reports: one row per object (LGTIN quantity or EPC such as an SSCC pallet) of a
    shipping event that names its destination location, whatever its type (an ObjectEvent, or a
    TransactionEvent tying the goods to a purchase order). The lot or pallet keeps its keys; it
    moves from the source location (else the event's location) to the destination location:
    a farm's raw-milk lot to the dairy, an apple lot to the packing station, a plant's pallet
    to the chain's warehouse. Cancelled events are left out. -#}
with

int_epcis_items_parsed as (

    select * from {{ ref('int_epcis_items_parsed') }}

),

int_epcis_events_enriched as (

    select * from {{ ref('int_epcis_events_enriched') }}

),

shipping_events as (

    select * from int_epcis_events_enriched
    where biz_step = 'shipping'
        and destination_location_id is not null
        and not is_cancelled

),

shipped_objects as (

    select * from int_epcis_items_parsed
    where role in ('quantity', 'epc')

),

final as (

    select
        -- link
        {{ dbt.hash(dbt.concat([
            "'shipped|'", "shipped_objects.event_key", "'|'", "shipped_objects.role", "'|'",
            "cast(shipped_objects.position as " ~ string_type() ~ ")"
        ])) }} as link_id,
        'shipped' as link_type,
        'epcis' as source,
        shipped_objects.event_key,
        cast(null as {{ string_type() }}) as transformation_id,
        coalesce(shipping_events.desadv_id, shipping_events.po_id) as reference_id,  -- else its purchase order

        -- from
        shipped_objects.gtin14 as from_gtin14,
        shipped_objects.gtin as from_gtin,
        shipped_objects.lot as from_lot,
        shipped_objects.sscc as from_sscc,
        coalesce(shipping_events.source_location_id, shipping_events.location_id) as from_location_id,

        -- to
        shipped_objects.gtin14 as to_gtin14,
        shipped_objects.gtin as to_gtin,
        shipped_objects.lot as to_lot,
        shipped_objects.sscc as to_sscc,
        shipping_events.destination_location_id as to_location_id,

        -- quantities
        shipped_objects.quantity as input_quantity,
        shipped_objects.quantity as output_quantity,
        shipped_objects.quantity as allocated_quantity,
        shipped_objects.uom,
        shipped_objects.uom as output_uom,

        -- when
        shipping_events.event_date as link_date,
        greatest(shipped_objects.ingest_date, shipping_events.ingest_date) as ingest_date,
        shipping_events.event_at

    from shipped_objects
    inner join shipping_events
        on shipped_objects.event_key = shipping_events.event_key

)

select * from final
