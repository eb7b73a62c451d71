{#- The rows a generic data test checks (dbt's get_where_subquery, overridden here).

    A dated run (`run_date()`) tests, in every model with an `ingest_date` column, the rows of
    the dates it rebuilt (run_date_window): the staging, intermediate and mart tables hold the
    whole history, and testing all of it every day would make a day's build grow with it. Rows
    outside the window were tested by the run that built them. Without run_date (a full build,
    CI) every row is tested. A test's own `where` config still wins. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where and run_date() -%}
        {%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
        {%- if tested and 'ingest_date' in tested.columns -%}
            {%- set where = run_date_window('ingest_date') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
