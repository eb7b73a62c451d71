{#- On-time-in-full per supplier and ISO week of the promised date, for both replenishment flows:
    producers delivering warehouses (purchase order due_date) and warehouses delivering stores
    (store order requested_delivery_date). Every order line due counts, received or not:
    - on time: something was received and the last receipt was on or before the promised date;
    - in full: the units received (whenever) are at least the units ordered;
    - on time in full: the units received on or before the promised date cover the order.
    Only lines due on or before the flow's data horizon (the newest ingest date of any order,
    shipment or receipt of the flow) count: later ones cannot be judged yet. Rebuilt whole on each
    run (a late receipt changes past weeks; the table is small). -#}
with

order_lines as (

    select * from {{ ref('int_order_lines_matched_to_receipts') }}

),

flow_horizons as (

    select
        flow,
        max(ingest_date) as horizon_date

    from order_lines
    group by flow

),

order_lines_due as (

    select
        order_lines.flow,
        order_lines.supplier_id,
        cast({{ dbt.date_trunc('week', 'order_lines.promised_date') }} as date) as week_start_date,
        order_lines.received_qty is not null and order_lines.received_qty > 0 as is_received,
        coalesce(order_lines.received_qty > 0
            and order_lines.last_received_date <= order_lines.promised_date, false) as is_on_time,
        coalesce(order_lines.received_qty >= order_lines.ordered_qty, false) as is_in_full,
        coalesce(order_lines.received_qty_by_promised_date >= order_lines.ordered_qty, false) as is_on_time_in_full

    from order_lines
    inner join flow_horizons
        on order_lines.flow = flow_horizons.flow
    where order_lines.promised_date <= flow_horizons.horizon_date

),

otif_per_week as (

    select
        flow,
        supplier_id,
        week_start_date,
        count(*) as order_lines_due,
        sum(case when is_received then 1 else 0 end) as order_lines_received,
        sum(case when is_on_time then 1 else 0 end) as order_lines_on_time,
        sum(case when is_in_full then 1 else 0 end) as order_lines_in_full,
        sum(case when is_on_time_in_full then 1 else 0 end) as order_lines_on_time_in_full

    from order_lines_due
    group by flow, supplier_id, week_start_date

),

final as (

    select
        cast(flow as {{ string_type() }}) as flow,
        cast(supplier_id as {{ string_type() }}) as supplier_id,
        cast({{ iso_year("week_start_date") }} as integer) as iso_year,
        cast(extract(week from week_start_date) as integer) as iso_week,
        cast(order_lines_due as bigint) as order_lines_due,
        cast(order_lines_received as bigint) as order_lines_received,
        cast(order_lines_on_time as bigint) as order_lines_on_time,
        cast(order_lines_in_full as bigint) as order_lines_in_full,
        cast(order_lines_on_time_in_full as bigint) as order_lines_on_time_in_full,
        cast(round(cast(order_lines_on_time as numeric(18, 6)) / order_lines_due, 4) as numeric(9, 4)) as on_time_rate,
        cast(round(cast(order_lines_in_full as numeric(18, 6)) / order_lines_due, 4) as numeric(9, 4)) as in_full_rate,
        cast(
            round(cast(order_lines_on_time_in_full as numeric(18, 6)) / order_lines_due, 4) as numeric(9, 4)
        ) as on_time_in_full_rate,
        cast(week_start_date as date) as week_start_date

    from otif_per_week

)

select * from final
