{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='delete+insert',
        unique_key=['event_key', 'role', 'position'],
        on_schema_change='fail',
    )
}}

{#- EPCIS events at lot level: one row per identifier an event lists (class-level quantity,
    instance-level EPC or aggregation parent), with its GS1 keys and the event's what, when,
    where and why. Rebuilt by ingest date (the EPCIS document's delivery date). -#}
with

int_epcis_items_parsed as (

    select * from {{ ref('int_epcis_items_parsed') }}

),

int_epcis_events_enriched as (

    select * from {{ ref('int_epcis_events_enriched') }}

),

events_declared_erroneous_in_window as (

    -- an error declaration delivered in the window also rebuilds the rows of the event it cancels
    select event_key
    from int_epcis_events_enriched
    where event_id in (
        select event_id
        from int_epcis_events_enriched
        where is_error_declaration and {{ ingest_date_window('ingest_date') }}
    )

),

items_in_window as (

    select * from int_epcis_items_parsed
    where {{ ingest_date_window('ingest_date') }}
        or event_key in (select event_key from events_declared_erroneous_in_window)

),

items_with_events as (

    select
        items_in_window.*,
        int_epcis_events_enriched.event_id,
        int_epcis_events_enriched.event_type,
        int_epcis_events_enriched.action,
        int_epcis_events_enriched.biz_step,
        int_epcis_events_enriched.disposition,
        int_epcis_events_enriched.transformation_id,
        int_epcis_events_enriched.location_id,
        int_epcis_events_enriched.read_point_id,
        int_epcis_events_enriched.biz_location_id,
        int_epcis_events_enriched.source_location_id,
        int_epcis_events_enriched.destination_location_id,
        int_epcis_events_enriched.source_owner_id,
        int_epcis_events_enriched.destination_owner_id,
        int_epcis_events_enriched.po_id,
        int_epcis_events_enriched.desadv_id,
        int_epcis_events_enriched.event_timezone_offset,
        int_epcis_events_enriched.error_reason,
        int_epcis_events_enriched.is_error_declaration,
        int_epcis_events_enriched.is_cancelled,
        int_epcis_events_enriched.event_date,
        int_epcis_events_enriched.event_at,
        int_epcis_events_enriched.recorded_at

    from items_in_window
    inner join int_epcis_events_enriched
        on items_in_window.event_key = int_epcis_events_enriched.event_key

),

final as (

    select
        -- ids
        cast(event_key as {{ string_type() }}) as event_key,
        cast(role as {{ string_type() }}) as role,
        cast(position as bigint) as position,
        cast(event_id as {{ string_type() }}) as event_id,
        cast(epc as {{ string_type() }}) as epc,
        cast(gtin14 as {{ string_type() }}) as gtin14,
        cast(gtin as {{ string_type() }}) as gtin,
        cast(lot as {{ string_type() }}) as lot,
        cast(serial as {{ string_type() }}) as serial,
        cast(sscc as {{ string_type() }}) as sscc,
        cast(transformation_id as {{ string_type() }}) as transformation_id,
        cast(location_id as {{ string_type() }}) as location_id,
        cast(read_point_id as {{ string_type() }}) as read_point_id,
        cast(biz_location_id as {{ string_type() }}) as biz_location_id,
        cast(source_location_id as {{ string_type() }}) as source_location_id,
        cast(destination_location_id as {{ string_type() }}) as destination_location_id,
        cast(source_owner_id as {{ string_type() }}) as source_owner_id,
        cast(destination_owner_id as {{ string_type() }}) as destination_owner_id,
        cast(po_id as {{ string_type() }}) as po_id,
        cast(desadv_id as {{ string_type() }}) as desadv_id,

        -- strings
        cast(event_type as {{ string_type() }}) as event_type,
        cast(action as {{ string_type() }}) as action,
        cast(biz_step as {{ string_type() }}) as biz_step,
        cast(disposition as {{ string_type() }}) as disposition,
        cast(epc_form as {{ string_type() }}) as epc_form,
        cast(epc_scheme as {{ string_type() }}) as epc_scheme,
        cast(uom as {{ string_type() }}) as uom,
        cast(event_timezone_offset as {{ string_type() }}) as event_timezone_offset,
        cast(error_reason as {{ string_type() }}) as error_reason,

        -- numerics
        cast(quantity as numeric(18, 4)) as quantity,

        -- booleans
        cast(is_instance_level as boolean) as is_instance_level,
        cast(is_error_declaration as boolean) as is_error_declaration,
        cast(is_cancelled as boolean) as is_cancelled,

        -- dates
        cast(event_date as date) as event_date,
        cast(ingest_date as date) as ingest_date,

        -- timestamps
        cast(event_at as timestamp) as event_at,
        cast(recorded_at as timestamp) as recorded_at

    from items_with_events

)

select * from final
