{#- The four EPCIS item tables (quantities, epcs, biz_transactions, parties) dedupe and reject
    the same way: an item of an event delivered again is a `duplicate_event`; an item repeated
    within one delivery is a `duplicate_key`. `item_columns` name the item inside its event.
    The select joins join_earlier_event_deliveries(), for the deliveries before the run's window. -#}

{% macro epcis_item_deliveries(item_columns) -%}
        -- deliveries of the event: the first one is kept
        case
            when earlier_source_blob is not null then 2
            else dense_rank() over (partition by event_key order by ingest_date, source_blob, source_row)
        end as delivery_number,
        coalesce(
            earlier_source_blob,
            first_value(source_blob) over (partition by event_key order by ingest_date, source_blob, source_row)
        ) as first_source_blob,
        row_number() over (
            partition by event_key, {{ item_columns | join(', ') }}
            order by case when row_problem is null then 0 else 1 end, ingest_date, source_blob, source_row
        ) as copy_number
{%- endmacro %}

{#- `item_label`: SQL text naming the item in the message, e.g. "role || ' '". -#}
{% macro epcis_item_rejection(item_label) -%}
        case
            when event_key is not null and delivery_number > 1
                then 'duplicate_event: event ' || event_key || ' was already delivered in ' || first_source_blob
            when row_problem is not null then row_problem
            when copy_number > 1
                then 'duplicate_key: ' || {{ item_label }} || cast(position as {{ string_type() }}) || ' of event ' || event_key
                    || ' appears twice'
        end as rejection_reason
{%- endmacro %}


{#- The first delivery of each event before the run's window (see join_earlier_deliveries): its
    rows are the ones not rejected as `duplicate_event`, whatever else was wrong with them. -#}
{% macro join_earlier_event_deliveries(distinct=true) -%}
    {{ join_earlier_deliveries(['event_key'], first_delivery="coalesce(rejection_reason, '') not like 'duplicate_event:%'", distinct=distinct) }}
{%- endmacro %}
