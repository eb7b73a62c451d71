{#- Spark's spelling of the project's portable macros (the `spark` target: dbt-spark, pyspark).
    Spark SQL has try_cast, rlike and regexp_extract; it reads JSON with get_json_object and
    variants, and converts time zones with from_utc_timestamp. Its string literals treat a
    backslash as an escape, which the patterns never use (see epc_regexp_group). -#}

{#- Java's regular expressions read `[]]` as an unclosed class: the literal brackets the patterns
    write as `[[]` and `[]]` (RE2 and PostgreSQL have no other way without backslashes) become `\\[`. -#}
{% macro java_regex(pattern) -%}
    {{ return(pattern | replace('[[]', '\\\\[') | replace('[]]', '\\\\]')) }}
{%- endmacro %}

{% macro spark__matches_regex(column, pattern) -%}
    coalesce({{ column }} rlike '{{ java_regex(pattern) }}', false)
{%- endmacro %}

{% macro spark__epc_regexp_group(column, pattern, group) -%}
    nullif(regexp_extract({{ column }}, '{{ java_regex(pattern) }}', {{ group }}), '')
{%- endmacro %}

{#- Spark casts an ISO 8601 text with its offset (Z, +01:00) to the instant; the session runs in UTC,
    so the instant as a timestamp without time zone is its UTC wall-clock time, as DuckDB gives. -#}
{% macro spark__parse_timestamp_utc(column) -%}
    case when {{ matches_regex(column, '(Z|[+-][0-9]{2}:?[0-9]{2})$') }}
        then cast(try_cast({{ column }} as timestamp) as timestamp_ntz) end
{%- endmacro %}

{% macro spark__local_date(timestamp_utc) -%}
    cast(from_utc_timestamp(cast({{ timestamp_utc }} as timestamp), '{{ var("business_timezone") }}') as date)
{%- endmacro %}

{% macro spark__json_text(column, key) -%}
    get_json_object({{ column }}, '$.{{ key }}')
{%- endmacro %}

{#- The kind of a JSON text from the schema of its variant: OBJECT<…>, ARRAY<…>, VOID for null. -#}
{% macro spark__is_json_kind(column, kind) -%}
    coalesce(
        lower(regexp_extract(schema_of_variant(try_parse_json({{ column }})), '^([A-Z]+)', 1))
            = '{{ "void" if kind == "null" else kind }}',
        false
    )
{%- endmacro %}

{#- The marts' contracts (enforced on DuckDB and PostgreSQL) name their column types as those two
    spell them (varchar, float8), which Spark does not read: they are not enforced on Spark, where the
    models' own casts (string_type, double_type) give the columns their types. -#}

{#- Seeds: dbt-spark's session method puts a seed's values into its `insert` unquoted (its cursor
    formats `%s` with the raw text), so a text or a date cannot load. Written here as literals. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set sql -%}
        insert into {{ this.render() }} values
        {% for row in agate_table.rows -%}
            ({%- for value in row -%}
                {%- set type = column_override.get(agate_table.column_names[loop.index0],
                                                   adapter.convert_type(agate_table, loop.index0)) -%}
                {%- if value is none -%} cast(null as {{ type }})
                {%- else -%} cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ type }})
                {%- endif -%}{%- if not loop.last %}, {% endif -%}
            {%- endfor -%}){%- if not loop.last %},{% endif %}
        {% endfor %}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {{ return(sql) }}
{% endmacro %}
