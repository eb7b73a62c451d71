{#- The ingest dates an incremental model (re)builds in this run.

    With a run date (`run_date()`: the transform DAG passes its partition key): run_date and the
    `lookback_days` before it, so a late file re-landed for a recent date is picked up, and
    re-running a date rebuilds exactly the same rows. Without run_date: on an incremental run,
    from the lookback window before the newest date already built; on a full build, everything.
    `this_column` names the ingest date in the model's own table when `column` is another name
    (a base model reads raw's `_ingest_date` and writes `ingest_date`).
    Usage: `where {{ ingest_date_window('ingest_date') }}` -#}
{% macro ingest_date_window(column, this_column='ingest_date') -%}
    {%- set the_date = run_date() -%}
    {%- if the_date -%}
        {%- if is_incremental() -%}
            {{ run_date_window(column) }}
        {%- else -%}
            {{ column }} <= cast('{{ the_date }}' as date)
        {%- endif -%}
    {%- elif is_incremental() -%}
        {{ column }} >= {{ ingest_window_start(this_column) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- The ingest dates an incremental run keeps as they are: those before its window (nothing on a full build). -#}
{% macro before_ingest_date_window(column, this_column='ingest_date') -%}
    {%- if is_incremental() -%}
        {{ column }} < {{ ingest_window_start(this_column) }}
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}


{#- The first ingest date of the window: run_date - lookback_days, or, without run_date, the
    newest date the model holds - lookback_days. -#}
{% macro ingest_window_start(this_column='ingest_date') -%}
    {%- set lookback = var('lookback_days', 3) | int -%}
    {%- if run_date() -%}
        {{ dbt.dateadd('day', -lookback, "cast('" ~ run_date() ~ "' as date)") }}
    {%- elif (this | string).startswith('__dbt__cte__') -%}
        {#- a unit test: `this` is a fixture (no pre-hook runs), read it in the query -#}
        (
            select {{ dbt.dateadd('day', -lookback, 'coalesce(max(' ~ this_column ~ "), cast('1900-01-01' as date))") }}
            from {{ this }}
        )
    {%- else -%}
        {{ dbt.dateadd('day', -lookback, "cast('" ~ newest_ingest_date(this_column) ~ "' as date)") }}
    {%- endif -%}
{%- endmacro %}


{#- The newest date the model holds, read once as the run begins. Not a subquery: the pre-hook
    deletes the window before the model's query reads the table, so a subquery would then see an
    earlier newest date, start the window earlier and append days that were never deleted. -#}
{% macro newest_ingest_date(this_column='ingest_date') -%}
    {%- if not execute -%}
        {{ return('1900-01-01') }}
    {%- endif -%}
    {%- set newest = run_query('select max(' ~ this_column ~ ') from ' ~ this).columns[0].values()[0] -%}
    {{ return((newest or '1900-01-01') | string) }}
{%- endmacro %}


{#- run_date and the `lookback_days` before it; every date when there is no run_date. For the
    tests that check what a dated run rebuilt. -#}
{% macro run_date_window(column) -%}
    {%- if run_date() -%}
        {{ column }} between {{ ingest_window_start() }} and cast('{{ run_date() }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- On an incremental run, keeps the rows whose key is in `keys_relation` (a CTE of the keys the
    run rebuilds); nothing on a full build. Follows `from <relation> as <alias>`. -#}
{% macro only_keys_to_build(keys_relation, key_columns) -%}
    {%- if is_incremental() %}
    inner join {{ keys_relation }} using ({{ key_columns | join(', ') }})
    {%- endif %}
{%- endmacro %}


{#- Pre-hook of the models that replace whole ingest dates: on an incremental run, delete the
    window's dates first, so a date whose raw partition was reloaded smaller keeps no stale rows.
    Usage: pre_hook="{{ delete_ingest_date_window() }}" -#}
{% macro delete_ingest_date_window() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ ingest_date_window('ingest_date') }}
    {%- endif -%}
{%- endmacro %}


{#- The materialization of the incremental models. Spark's own tables (Parquet, no Delta Lake:
    its jars cannot be downloaded here) support neither delete nor merge, so there the models are
    rebuilt whole: a full build holds the same rows as the dated runs (test_dbt_build). -#}
{% macro incremental_or_table() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}
