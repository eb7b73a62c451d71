{#- The ingest dates an incremental model (re)builds in this run.

    With var run_date (the transform DAG passes its partition key): run_date and the
    `lookback_days` before it, so a late file re-landed for a recent date is picked up, and
    re-running a date rebuilds exactly the same rows. Without run_date: on an incremental run,
    from the lookback window before the newest date already built; on a full build, everything.
    Usage: `where {{ ingest_date_window('ingest_date') }}` -#}
{% macro ingest_date_window(column) -%}
    {%- set run_date = var('run_date', none) -%}
    {%- set lookback = var('lookback_days', 3) | int -%}
    {%- if run_date -%}
        {%- if is_incremental() -%}
            {{ column }} between {{ dbt.dateadd('day', -lookback, "cast('" ~ run_date ~ "' as date)") }}
                and cast('{{ run_date }}' as date)
        {%- else -%}
            {{ column }} <= cast('{{ run_date }}' as date)
        {%- endif -%}
    {%- elif is_incremental() -%}
        {{ column }} >= (
            select {{ dbt.dateadd('day', -lookback, 'coalesce(max(' ~ column ~ "), cast('1900-01-01' as date))") }}
            from {{ this }}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
