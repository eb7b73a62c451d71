{#- Mass balance of the allocation: for every input of a transformation, the quantities
    allocated to its outputs add up to the input's quantity (to rounding: 0.0001 per output). -#}
{{ config(severity='error') }}

with

transformation_links as (

    select * from {{ ref('fct_lot_links') }}
    where link_type = 'transformed_into'

),

allocation_per_input as (

    select
        coalesce(transformation_id, event_key) as transformation_key,
        from_gtin14,
        from_lot,
        from_location_id,
        input_quantity,
        uom,
        sum(allocated_quantity) as allocated_total,
        count(*) as output_count

    from transformation_links
    group by coalesce(transformation_id, event_key), from_gtin14, from_lot, from_location_id, input_quantity, uom

)

select * from allocation_per_input
where abs(allocated_total - input_quantity) > 0.0001 * output_count
