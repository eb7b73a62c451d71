{#- The business date this run builds: var `run_date` (by hand: --vars '{run_date: 2025-03-05}';
    a unit test's override) or else the environment's RETAIL_FACTORY_RUN_DATE, which the factory
    sets (the transform DAG through Cosmos, `run_dbt(..., run_date=)`); none without either.

    Why the environment: dbt re-parses the whole project whenever `--vars` differ from the last
    command's (20 s against 7 s with partial parsing here), so a var that changes every day made
    every daily build parse from scratch. Read at execution only: the parsed project is the same
    for every date, and dbt has no reason to re-parse anything when the date changes. A unit test
    that overrides run_date to null reads the environment: run unit tests without it. -#}
{% macro run_date() -%}
    {%- if var('run_date', none) -%}
        {{ return(var('run_date')) }}
    {%- elif not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(env_var('RETAIL_FACTORY_RUN_DATE', '') or none) }}
{%- endmacro %}
