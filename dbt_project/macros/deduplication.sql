{#- How the base_ staging models deduplicate: of all deliveries of a key, the first one wins (the
    first good one when `good_first`); later copies get copy_number > 1 and the blob of the
    winner. Use with join_earlier_deliveries (below) in the same select. -#}
{% macro delivery_rank(key_columns, good_first=true) -%}
    {%- set order -%}
        partition by {{ key_columns | join(', ') }}
        order by {{ 'case when row_problem is null then 0 else 1 end, ' if good_first }}ingest_date, source_blob, source_row
    {%- endset -%}
        case
            when earlier_source_blob is not null then 2
            else row_number() over ({{ order }})
        end as copy_number,
        coalesce(earlier_source_blob, first_value(source_blob) over ({{ order }})) as first_source_blob
{%- endmacro %}


{#- The base_ staging models are incremental: a run parses and checks only the raw rows of its
    ingest window, and replaces those dates. A key must still be judged against every earlier
    delivery, so the rows the model already holds for earlier dates take part in the dedup:
    this join brings, for each key, the blob of its first delivery before the window
    (`earlier_source_blob`, null when there is none; always null on a full build, where every
    date is in the window). `first_delivery` says which earlier rows count: by default the
    accepted one (the first good delivery of the key). `distinct` when that leaves several rows
    per key with one blob (the items of an event). Only the earlier rows whose first key column
    occurs in `window_rows` (the select's own rows) are read: the table holds the whole history,
    and hashing all of it for the join made a day's build grow with it (base_retail__stock,
    80 stores x 800 products, 180 days: 1.56 s -> 0.73 s for the select).

    The window is judged against what was built before it, not after: re-running an old date
    does not re-judge later dates. Backfill dates in order (Airflow does), or rebuild the model
    with --full-refresh. -#}
{% macro join_earlier_deliveries(key_columns, first_delivery='rejection_reason is null', distinct=false, window_rows='typed') -%}
    {%- if is_incremental() %}
    left join (
        select{{ ' distinct' if distinct }}
            {%- for column in key_columns %}
            {{ column }} as earlier_{{ column }},
            {%- endfor %}
            source_blob as earlier_source_blob
        from {{ this }}
        where {{ before_ingest_date_window('ingest_date') }}
            and {{ first_delivery }}
            and {{ key_columns[0] }} in (select {{ key_columns[0] }} from {{ window_rows }})
    ) as earlier
        on {% for column in key_columns -%}
            earlier.earlier_{{ column }} = {{ column }}{{ ' and ' if not loop.last }}
        {%- endfor %}
    {%- else %}
    cross join (select cast(null as {{ dbt.type_string() }}) as earlier_source_blob) as earlier
    {%- endif %}
{%- endmacro %}
