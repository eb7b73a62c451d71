{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key='link_id',
        on_schema_change='fail',
        post_hook=[
            "{% if target.type != 'spark' %}delete from {{ this }} where event_key in
                (select event_key from {{ ref('int_epcis_events_enriched') }} where is_cancelled){% endif %}"
        ],
    )
}}

{#- The lot genealogy: one row per edge "this lot (or pallet) at this place went into / moved to
    that lot (or pallet) at that place". Read it as a graph whose nodes are
    (gtin, lot, sscc, location_id):
      transformed_into  farm/raw-material lot → finished-product lot at the plant (EPCIS)
      packed_into       finished-product lot → the same lot on an SSCC pallet (EPCIS)
      unpacked          the lot (or, with no lot, everything) off the pallet again (EPCIS DELETE)
      shipped           lot or pallet → destination (EPCIS shipping; producer deliveries:
                        producer → warehouse on the producer's SSCC; shipments: warehouse →
                        store on the roll cage's SSCC)
      received          the store booked the lot in (receipts: warehouse → store)
    Rebuilt by ingest date; a transformation's links carry the latest ingest date of its events.
    An event declared erroneous (EPCIS errorDeclaration, delivered any day later) no longer
    counts: the post-hook removes its links, which delete+insert on link_id would keep. Spark builds
    the model whole (no delete there), and a full build has none: the intermediate models leave
    cancelled events out. -#}
with

int_lot_links_transformed as (

    select * from {{ ref('int_lot_links_transformed') }}
    where {{ ingest_date_window('ingest_date') }}

),

int_lot_links_packed as (

    select * from {{ ref('int_lot_links_packed') }}
    where {{ ingest_date_window('ingest_date') }}

),

int_lot_links_shipped as (

    select * from {{ ref('int_lot_links_shipped') }}
    where {{ ingest_date_window('ingest_date') }}

),

stg_supply__producer_deliveries as (

    select * from {{ ref('stg_supply__producer_deliveries') }}
    where {{ ingest_date_window('ingest_date') }}

),

stg_supply__shipments as (

    select * from {{ ref('stg_supply__shipments') }}

),

stg_supply__receipts as (

    select * from {{ ref('stg_supply__receipts') }}
    where {{ ingest_date_window('ingest_date') }}

),

shipments_in_window as (

    select * from stg_supply__shipments
    where {{ ingest_date_window('ingest_date') }}

),

shipping_warehouses as (

    -- only the shipments the window's receipts refer to: not a group-by of the whole history
    select
        shipment_id,
        min(warehouse_id) as warehouse_id

    from stg_supply__shipments
    where shipment_id in (select shipment_id from stg_supply__receipts)
    group by shipment_id

),

producer_delivery_links as (

    select
        {{ dbt.hash(dbt.concat([
            "'shipped|producer_deliveries|'", "delivery_id", "'|'", "cast(delivery_line as " ~ string_type() ~ ")"
        ])) }} as link_id,
        'shipped' as link_type,
        'producer_deliveries' as source,
        cast(null as {{ string_type() }}) as event_key,
        cast(null as {{ string_type() }}) as transformation_id,
        delivery_id as reference_id,
        lpad(gtin, 14, '0') as from_gtin14,
        gtin as from_gtin,
        lot as from_lot,
        sscc as from_sscc,
        producer_id as from_location_id,
        lpad(gtin, 14, '0') as to_gtin14,
        gtin as to_gtin,
        lot as to_lot,
        sscc as to_sscc,
        warehouse_id as to_location_id,
        quantity as input_quantity,
        quantity as output_quantity,
        quantity as allocated_quantity,
        cast(null as {{ string_type() }}) as uom,
        cast(null as {{ string_type() }}) as output_uom,
        delivered_date as link_date,
        ingest_date,
        delivered_at as event_at

    from stg_supply__producer_deliveries

),

shipment_links as (

    select
        {{ dbt.hash(dbt.concat([
            "'shipped|shipments|'", "shipment_id", "'|'", "cast(shipment_line as " ~ string_type() ~ ")"
        ])) }} as link_id,
        'shipped' as link_type,
        'shipments' as source,
        cast(null as {{ string_type() }}) as event_key,
        cast(null as {{ string_type() }}) as transformation_id,
        shipment_id as reference_id,
        lpad(gtin, 14, '0') as from_gtin14,
        gtin as from_gtin,
        lot as from_lot,
        cast(null as {{ string_type() }}) as from_sscc,  -- picked from warehouse stock: the inbound pallet is not recorded
        warehouse_id as from_location_id,
        lpad(gtin, 14, '0') as to_gtin14,
        gtin as to_gtin,
        lot as to_lot,
        sscc as to_sscc,
        store_id as to_location_id,
        quantity as input_quantity,
        quantity as output_quantity,
        quantity as allocated_quantity,
        cast(null as {{ string_type() }}) as uom,
        cast(null as {{ string_type() }}) as output_uom,
        shipped_date as link_date,
        ingest_date,
        shipped_at as event_at

    from shipments_in_window

),

receipt_links as (

    select
        {{ dbt.hash(dbt.concat([
            "'received|receipts|'", "stg_supply__receipts.receipt_id", "'|'",
            "cast(stg_supply__receipts.receipt_line as " ~ string_type() ~ ")"
        ])) }} as link_id,
        'received' as link_type,
        'receipts' as source,
        cast(null as {{ string_type() }}) as event_key,
        cast(null as {{ string_type() }}) as transformation_id,
        stg_supply__receipts.receipt_id as reference_id,
        lpad(stg_supply__receipts.gtin, 14, '0') as from_gtin14,
        stg_supply__receipts.gtin as from_gtin,
        stg_supply__receipts.lot as from_lot,
        stg_supply__receipts.sscc as from_sscc,
        shipping_warehouses.warehouse_id as from_location_id,
        lpad(stg_supply__receipts.gtin, 14, '0') as to_gtin14,
        stg_supply__receipts.gtin as to_gtin,
        stg_supply__receipts.lot as to_lot,
        stg_supply__receipts.sscc as to_sscc,
        stg_supply__receipts.store_id as to_location_id,
        stg_supply__receipts.quantity as input_quantity,
        stg_supply__receipts.quantity as output_quantity,
        stg_supply__receipts.quantity as allocated_quantity,
        cast(null as {{ string_type() }}) as uom,
        cast(null as {{ string_type() }}) as output_uom,
        stg_supply__receipts.received_date as link_date,
        stg_supply__receipts.ingest_date,
        stg_supply__receipts.received_at as event_at

    from stg_supply__receipts
    left join shipping_warehouses
        on stg_supply__receipts.shipment_id = shipping_warehouses.shipment_id

),

links as (

    select * from int_lot_links_transformed
    union all
    select * from int_lot_links_packed
    union all
    select * from int_lot_links_shipped
    union all
    select * from producer_delivery_links
    union all
    select * from shipment_links
    union all
    select * from receipt_links

),

final as (

    select
        -- link
        cast(link_id as {{ string_type() }}) as link_id,
        cast(link_type as {{ string_type() }}) as link_type,
        cast(source as {{ string_type() }}) as source,
        cast(event_key as {{ string_type() }}) as event_key,
        cast(transformation_id as {{ string_type() }}) as transformation_id,
        cast(reference_id as {{ string_type() }}) as reference_id,

        -- from
        cast(from_gtin14 as {{ string_type() }}) as from_gtin14,
        cast(from_gtin as {{ string_type() }}) as from_gtin,
        cast(from_lot as {{ string_type() }}) as from_lot,
        cast(from_sscc as {{ string_type() }}) as from_sscc,
        cast(from_location_id as {{ string_type() }}) as from_location_id,

        -- to
        cast(to_gtin14 as {{ string_type() }}) as to_gtin14,
        cast(to_gtin as {{ string_type() }}) as to_gtin,
        cast(to_lot as {{ string_type() }}) as to_lot,
        cast(to_sscc as {{ string_type() }}) as to_sscc,
        cast(to_location_id as {{ string_type() }}) as to_location_id,

        -- quantities
        cast(input_quantity as numeric(18, 4)) as input_quantity,
        cast(output_quantity as numeric(18, 4)) as output_quantity,
        cast(allocated_quantity as numeric(18, 4)) as allocated_quantity,
        cast(uom as {{ string_type() }}) as uom,
        cast(output_uom as {{ string_type() }}) as output_uom,

        -- when
        cast(link_date as date) as link_date,
        cast(ingest_date as date) as ingest_date,
        cast(event_at as timestamp) as event_at

    from links

)

select * from final
