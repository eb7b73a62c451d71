{#- Raw tables hold text as landed. These macros type it and give null (never an error) for a
    value that does not parse, so staging can reject the row with a reason. DuckDB has try_cast;
    PostgreSQL gets small try functions created by `create_try_cast_functions` (on-run-start). -#}

{% macro create_try_cast_functions() -%}
    {{ return(adapter.dispatch('create_try_cast_functions', 'retail_factory')()) }}
{%- endmacro %}

{% macro default__create_try_cast_functions() -%}
    select 1
{%- endmacro %}

{% macro postgres__create_try_cast_functions() -%}
    create schema if not exists util;
    {% for name, sql_type in [('numeric', 'numeric'), ('bigint', 'bigint'), ('date', 'date'),
                              ('timestamptz', 'timestamptz'), ('jsonb', 'jsonb'), ('double', 'double precision')] %}
    create or replace function util.try_{{ name }}(value text) returns {{ sql_type }} as $$
    begin
        return value::{{ sql_type }};
    exception when others then
        return null;
    end;
    $$ language plpgsql immutable;
    {% endfor %}
{%- endmacro %}


{#- A decimal written with a comma or a point ("3,68" or "3.68"). -#}
{% macro parse_decimal(column, precision=18, scale=4) -%}
    {{ return(adapter.dispatch('parse_decimal', 'retail_factory')(column, precision, scale)) }}
{%- endmacro %}

{% macro default__parse_decimal(column, precision, scale) -%}
    try_cast(replace({{ column }}, ',', '.') as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro postgres__parse_decimal(column, precision, scale) -%}
    cast(util.try_numeric(replace({{ column }}, ',', '.')) as numeric({{ precision }}, {{ scale }}))
{%- endmacro %}


{#- A floating-point number (nutrition facts: 1e-05 is a valid value). -#}
{% macro parse_double(column) -%}
    {{ return(adapter.dispatch('parse_double', 'retail_factory')(column)) }}
{%- endmacro %}

{% macro default__parse_double(column) -%}
    try_cast(replace({{ column }}, ',', '.') as double)
{%- endmacro %}

{% macro postgres__parse_double(column) -%}
    util.try_double(replace({{ column }}, ',', '.'))
{%- endmacro %}


{% macro parse_integer(column) -%}
    {{ return(adapter.dispatch('parse_integer', 'retail_factory')(column)) }}
{%- endmacro %}

{% macro default__parse_integer(column) -%}
    try_cast({{ column }} as bigint)
{%- endmacro %}

{% macro postgres__parse_integer(column) -%}
    util.try_bigint({{ column }})
{%- endmacro %}


{#- A calendar date YYYY-MM-DD. -#}
{% macro parse_date(column) -%}
    {{ return(adapter.dispatch('parse_date', 'retail_factory')(column)) }}
{%- endmacro %}

{% macro default__parse_date(column) -%}
    case when {{ matches_regex(column, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') }} then try_cast({{ column }} as date) end
{%- endmacro %}

{% macro postgres__parse_date(column) -%}
    case when {{ matches_regex(column, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') }} then util.try_date({{ column }}) end
{%- endmacro %}


{#- An ISO 8601 date-time with its UTC offset → a UTC timestamp without time zone (the `_at` columns).
    A value without an offset is not a point in time: it gives null. -#}
{% macro parse_timestamp_utc(column) -%}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'retail_factory')(column)) }}
{%- endmacro %}

{% macro default__parse_timestamp_utc(column) -%}
    case when {{ matches_regex(column, '(Z|[+-][0-9]{2}:?[0-9]{2})$') }}
        then timezone('UTC', try_cast({{ column }} as timestamptz)) end
{%- endmacro %}

{% macro postgres__parse_timestamp_utc(column) -%}
    case when {{ matches_regex(column, '(Z|[+-][0-9]{2}:?[0-9]{2})$') }}
        then util.try_timestamptz({{ column }}) at time zone 'UTC' end
{%- endmacro %}


{#- The local calendar date of a UTC timestamp in the chain's time zone (business dates). -#}
{% macro local_date(timestamp_utc) -%}
    {{ return(adapter.dispatch('local_date', 'retail_factory')(timestamp_utc)) }}
{%- endmacro %}

{% macro default__local_date(timestamp_utc) -%}
    cast(timezone('{{ var("business_timezone") }}', timezone('UTC', {{ timestamp_utc }})) as date)
{%- endmacro %}

{% macro postgres__local_date(timestamp_utc) -%}
    cast(({{ timestamp_utc }} at time zone 'UTC') at time zone '{{ var("business_timezone") }}' as date)
{%- endmacro %}


{#- "true"/"false" (any case) → boolean; anything else → null. -#}
{% macro parse_boolean(column) -%}
    case lower(trim({{ column }})) when 'true' then true when 'false' then false end
{%- endmacro %}


{#- The text of one member of a JSON object held as text (null when absent or not JSON). -#}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text', 'retail_factory')(column, key)) }}
{%- endmacro %}

{% macro default__json_text(column, key) -%}
    json_extract_string(try_cast({{ column }} as json), '$."{{ key }}"')
{%- endmacro %}

{% macro postgres__json_text(column, key) -%}
    (util.try_jsonb({{ column }}) ->> '{{ key }}')
{%- endmacro %}


{#- Whether text matches a regular expression (anywhere, unless anchored). -#}
{% macro matches_regex(column, pattern) -%}
    {{ return(adapter.dispatch('matches_regex', 'retail_factory')(column, pattern)) }}
{%- endmacro %}

{% macro default__matches_regex(column, pattern) -%}
    coalesce(regexp_matches({{ column }}, '{{ pattern }}'), false)
{%- endmacro %}

{% macro postgres__matches_regex(column, pattern) -%}
    coalesce({{ column }} ~ '{{ pattern }}', false)
{%- endmacro %}


{#- The text type in casts: `varchar` (DuckDB, PostgreSQL); Spark wants `string` (its varchar needs a length). -#}
{% macro string_type() -%}
    {{ return(adapter.dispatch('string_type', 'retail_factory')()) }}
{%- endmacro %}

{% macro default__string_type() -%}
    varchar
{%- endmacro %}

{% macro spark__string_type() -%}
    string
{%- endmacro %}


{#- The double-precision float type in casts: `float8` (DuckDB, PostgreSQL); `double` in Spark. -#}
{% macro double_type() -%}
    {{ return(adapter.dispatch('double_type', 'retail_factory')()) }}
{%- endmacro %}

{% macro default__double_type() -%}
    float8
{%- endmacro %}

{% macro spark__double_type() -%}
    double
{%- endmacro %}


{#- The ISO 8601 week-numbering year and day of week (Monday = 1) of a date. -#}
{% macro iso_year(date) -%}
    {{ return(adapter.dispatch('iso_year', 'retail_factory')(date)) }}
{%- endmacro %}

{% macro default__iso_year(date) -%}
    extract(isoyear from {{ date }})
{%- endmacro %}

{% macro spark__iso_year(date) -%}
    extract(yearofweek from {{ date }})
{%- endmacro %}

{% macro iso_day_of_week(date) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'retail_factory')(date)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date) -%}
    extract(isodow from {{ date }})
{%- endmacro %}

{% macro spark__iso_day_of_week(date) -%}
    extract(dayofweek_iso from {{ date }})
{%- endmacro %}


{#- `with name as materialized (…)`: computed once, not inlined where it is used (DuckDB, PostgreSQL).
    Spark has no such hint: it plans the CTE itself. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'retail_factory')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro spark__materialized_cte() -%}
{%- endmacro %}
