{#- A table, not the folder's view: the facts join it several times, and over the staging views
    (window functions, row-level checks) PostgreSQL estimates one row and plans nested loops that
    re-run the whole staging chain per row; a table parses once and has statistics. -#}
{{ config(materialized='table') }}

{#- One row per identifier an EPCIS event lists: class-level quantities (LGTIN, GTIN patterns),
    instance-level EPCs (SGTIN, SSCC, …) and the parent of an aggregation, with the GS1 keys
    parsed out of the URN or Digital Link form (macros/epc.sql).
    Roles: quantity lists keep the loader's role (quantity, input, output, child); EPC lists get
    an `_epc` suffix (epc, input_epc, output_epc, child_epc) so that (event_key, role, position)
    stays unique when an event sends both lists; the parentID is role 'parent', position 1. -#}
with

epcis_quantities as (

    select * from {{ ref('stg_producer__epcis_quantities') }}

),

epcis_epcs as (

    select * from {{ ref('stg_producer__epcis_epcs') }}

),

epcis_events as (

    select * from {{ ref('stg_producer__epcis_events') }}

),

class_level_items as (

    select
        epcis_quantities.event_key,
        epcis_quantities.role,
        epcis_quantities.position,
        epcis_quantities.epc_class as epc,
        cast(epcis_quantities.quantity as decimal(18, 4)) as quantity,
        epcis_quantities.uom,
        false as is_instance_level,
        epcis_quantities.ingest_date

    from epcis_quantities

),

instance_level_items as (

    select
        epcis_epcs.event_key,
        case when epcis_epcs.role = 'epc' then 'epc' else epcis_epcs.role || '_epc' end as role,
        epcis_epcs.position,
        epcis_epcs.epc,
        cast(1 as decimal(18, 4)) as quantity,  -- one object
        cast(null as {{ string_type() }}) as uom,
        true as is_instance_level,
        epcis_epcs.ingest_date

    from epcis_epcs

),

parent_items as (

    select
        epcis_events.event_key,
        'parent' as role,
        cast(1 as bigint) as position,
        epcis_events.parent_id as epc,
        cast(1 as decimal(18, 4)) as quantity,
        cast(null as {{ string_type() }}) as uom,
        true as is_instance_level,
        epcis_events.ingest_date

    from epcis_events
    where epcis_events.parent_id is not null

),

items as (

    select * from class_level_items
    union all
    select * from instance_level_items
    union all
    select * from parent_items

),

identifier_parts as (

    select
        items.*,
        {{ epc_form('items.epc') }} as epc_form,
        {{ epc_scheme('items.epc') }} as epc_scheme,
        {{ epc_gtin14_body('items.epc') }} as gtin14_body,
        {{ epc_digital_link_gtin14('items.epc') }} as digital_link_gtin14,
        {{ epc_sscc_body('items.epc') }} as sscc_body,
        {{ epc_digital_link_sscc('items.epc') }} as digital_link_sscc,
        {{ epc_lot('items.epc') }} as lot,
        {{ epc_serial('items.epc') }} as serial

    from items

),

keys_completed as (

    select
        identifier_parts.*,
        coalesce({{ gs1_with_check_digit('identifier_parts.gtin14_body') }}, identifier_parts.digital_link_gtin14) as gtin14,
        coalesce({{ gs1_with_check_digit('identifier_parts.sscc_body') }}, identifier_parts.digital_link_sscc) as sscc

    from identifier_parts

),

final as (

    select
        -- ids
        event_key,
        role,
        position,
        epc,
        gtin14,
        {{ gtin14_to_gtin13('gtin14') }} as gtin,
        lot,
        serial,
        sscc,

        -- strings
        epc_form,
        epc_scheme,
        uom,

        -- numerics
        quantity,

        -- booleans
        is_instance_level,

        -- dates
        ingest_date

    from keys_completed

)

select * from final
