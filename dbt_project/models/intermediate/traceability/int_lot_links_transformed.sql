{#- Input lot → output lot links of EPCIS TransformationEvents: one row per (input, output) pair of
    a transformation. A transformation is the events sharing a transformationID, else one event.
    Each input's quantity is allocated to the outputs in proportion to the output quantities
    when all outputs have a quantity in one unit of measure, else in equal shares: a dairy
    commingling 8 farm lots into 1 yoghurt lot gives 8 links, a fruit station splitting 1 apple
    lot into 2 products gives 2 links that share the apples by units packed.
    Cancelled events (error declarations) are left out. -#}
with

int_epcis_items_parsed as (

    select * from {{ ref('int_epcis_items_parsed') }}

),

int_epcis_events_enriched as (

    select * from {{ ref('int_epcis_events_enriched') }}

),

transformation_items as (

    select
        int_epcis_items_parsed.event_key,
        int_epcis_items_parsed.role,
        int_epcis_items_parsed.position,
        int_epcis_items_parsed.gtin14,
        int_epcis_items_parsed.gtin,
        int_epcis_items_parsed.lot,
        int_epcis_items_parsed.sscc,
        int_epcis_items_parsed.quantity,
        int_epcis_items_parsed.uom,
        case when int_epcis_items_parsed.role in ('input', 'input_epc') then 'input' else 'output' end as side,
        coalesce(int_epcis_events_enriched.transformation_id, int_epcis_events_enriched.event_key) as transformation_key,
        int_epcis_events_enriched.transformation_id,
        int_epcis_events_enriched.location_id,
        int_epcis_events_enriched.event_date,
        int_epcis_events_enriched.event_at,
        int_epcis_events_enriched.desadv_id,
        int_epcis_items_parsed.ingest_date

    from int_epcis_items_parsed
    inner join int_epcis_events_enriched
        on int_epcis_items_parsed.event_key = int_epcis_events_enriched.event_key
    where int_epcis_events_enriched.event_type = 'TransformationEvent'
        and not int_epcis_events_enriched.is_cancelled
        and int_epcis_items_parsed.role in ('input', 'output', 'input_epc', 'output_epc')

),

transformations as (

    select
        transformation_key,
        max(ingest_date) as ingest_date  -- a late event of a transformation rebuilds all its links

    from transformation_items
    group by transformation_key

),

inputs as (

    select * from transformation_items
    where side = 'input'

),

outputs_with_shares as (

    select
        *,
        count(*) over (partition by transformation_key) as output_count,
        count(quantity) over (partition by transformation_key) as outputs_with_quantity,
        min(coalesce(uom, '')) over (partition by transformation_key) as min_output_uom,
        max(coalesce(uom, '')) over (partition by transformation_key) as max_output_uom,
        sum(cast(quantity as {{ double_type() }})) over (partition by transformation_key) as total_output_quantity

    from transformation_items
    where side = 'output'

),

links as (

    select
        inputs.event_key as input_event_key,
        inputs.role as input_role,
        inputs.position as input_position,
        outputs_with_shares.event_key,
        outputs_with_shares.role as output_role,
        outputs_with_shares.position as output_position,
        outputs_with_shares.transformation_id,
        inputs.gtin14 as from_gtin14,
        inputs.gtin as from_gtin,
        inputs.lot as from_lot,
        inputs.sscc as from_sscc,
        inputs.location_id as from_location_id,
        outputs_with_shares.gtin14 as to_gtin14,
        outputs_with_shares.gtin as to_gtin,
        outputs_with_shares.lot as to_lot,
        outputs_with_shares.sscc as to_sscc,
        outputs_with_shares.location_id as to_location_id,
        inputs.quantity as input_quantity,
        outputs_with_shares.quantity as output_quantity,
        case
            when outputs_with_shares.outputs_with_quantity = outputs_with_shares.output_count
                and outputs_with_shares.min_output_uom = outputs_with_shares.max_output_uom
                and outputs_with_shares.total_output_quantity > 0
                then cast(inputs.quantity as {{ double_type() }}) * cast(outputs_with_shares.quantity as {{ double_type() }})
                    / outputs_with_shares.total_output_quantity
            else cast(inputs.quantity as {{ double_type() }}) / outputs_with_shares.output_count
        end as allocated_quantity,
        inputs.uom,
        outputs_with_shares.uom as output_uom,
        outputs_with_shares.desadv_id as reference_id,
        outputs_with_shares.event_at,
        outputs_with_shares.event_date as link_date,
        transformations.ingest_date

    from inputs
    inner join outputs_with_shares
        on inputs.transformation_key = outputs_with_shares.transformation_key
    inner join transformations
        on inputs.transformation_key = transformations.transformation_key

),

final as (

    select
        -- link
        {{ dbt.hash(dbt.concat([
            "'transformed_into|'", "input_event_key", "'|'", "input_role", "'|'",
            "cast(input_position as " ~ string_type() ~ ")", "'|'", "event_key", "'|'", "output_role", "'|'",
            "cast(output_position as " ~ string_type() ~ ")"
        ])) }} as link_id,
        'transformed_into' as link_type,
        'epcis' as source,
        event_key,
        transformation_id,
        reference_id,

        -- from
        from_gtin14,
        from_gtin,
        from_lot,
        from_sscc,
        from_location_id,

        -- to
        to_gtin14,
        to_gtin,
        to_lot,
        to_sscc,
        to_location_id,

        -- quantities
        input_quantity,
        output_quantity,
        cast(allocated_quantity as decimal(18, 4)) as allocated_quantity,
        uom,
        output_uom,

        -- when
        link_date,
        ingest_date,
        event_at

    from links

)

select * from final
