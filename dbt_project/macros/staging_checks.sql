{#- Checks the base_ staging models run on raw text, and the reject reasons they write.

    Raw values are text exactly as landed. A value is typed only when it has the contract's
    shape (the same patterns the landing checks in sources/contracts/values.py), so DuckDB and
    PostgreSQL accept and refuse exactly the same values: their own casts are more lenient
    (' 12', '1_000', '2025-03-08 18:17+01') and differ from each other.
    A reject reason is `<code>: <what was wrong, naming the field and the value>`. -#}


{#- A whole number, e.g. 12 or -3 (bigint; null when it has another shape or overflows). -#}
{% macro to_integer(column) -%}
    case when {{ matches_regex(column, '^[+-]?[0-9]+$') }} then {{ parse_integer(column) }} end
{%- endmacro %}


{#- A CSV decimal, written with ',' as the contract says ("3,68"); '.' is refused like the landing does. -#}
{% macro to_csv_decimal(column, precision=18, scale=4) -%}
    cast(
        case when {{ matches_regex(column, '^[+-]?[0-9]+(,[0-9]+)?$') }} then {{ parse_decimal(column, precision, scale) }} end
        as decimal({{ precision }}, {{ scale }})
    )
{%- endmacro %}


{#- A JSON number as the loader writes it ("750.0", "12", "1e-05"): decimal or double. -#}
{% macro json_number_pattern() -%}
    ^-?[0-9]+([.][0-9]+)?([eE][+-]?[0-9]+)?$
{%- endmacro %}

{% macro to_json_decimal(column, precision=18, scale=4) -%}
    cast(
        case when {{ matches_regex(column, json_number_pattern()) }} then {{ parse_decimal(column, precision, scale) }} end
        as decimal({{ precision }}, {{ scale }})
    )
{%- endmacro %}

{% macro to_json_double(column) -%}
    case when {{ matches_regex(column, json_number_pattern()) }} then {{ parse_double(column) }} end
{%- endmacro %}


{#- An ISO 8601 date-time with seconds and its UTC offset (the contract's timestamp) → UTC. -#}
{% macro to_timestamp_utc(column) -%}
    case
        when {{ matches_regex(column, '^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$') }}
            then {{ parse_timestamp_utc(column) }}
    end
{%- endmacro %}


{#- The business date of a local timestamp as delivered: its first ten characters (the landing's rule). -#}
{% macro local_date_as_written(column) -%}
    {{ parse_date('substr(' ~ column ~ ', 1, 10)') }}
{%- endmacro %}


{#- Minutes east of UTC of an offset written "+01:00" / "-05:30" (null for any other shape). -#}
{% macro utc_offset_minutes(column) -%}
    case
        when {{ matches_regex(column, '^[+-](0[0-9]|1[0-4]):[0-5][0-9]$') }}
            then (case when substr({{ column }}, 1, 1) = '-' then -1 else 1 end)
                * (cast(substr({{ column }}, 2, 2) as integer) * 60 + cast(substr({{ column }}, 5, 2) as integer))
    end
{%- endmacro %}


{#- A CBV value written bare, whichever spelling was sent: "urn:epcglobal:cbv:bizstep:shipping",
    "https://ns.gs1.org/cbv/BizStep-shipping" (the contract's Web URI) or the ref.gs1.org form → "shipping".
    Custom (non-CBV) URIs are kept as sent. -#}
{% macro cbv_bare_value(column) -%}
    cast(regexp_replace({{ column }}, '^(urn:epcglobal:cbv:[a-z]+:|https?://(ns|ref)[.]gs1[.]org/cbv/[A-Za-z]+-)', '') as {{ string_type() }})
{%- endmacro %}


{#- Whether a text holds a JSON value of a kind: 'object', 'array', 'null', … (false when it is not JSON). -#}
{% macro is_json_kind(column, kind) -%}
    {{ return(adapter.dispatch('is_json_kind', 'retail_factory')(column, kind)) }}
{%- endmacro %}

{% macro default__is_json_kind(column, kind) -%}
    coalesce(lower(json_type(try_cast({{ column }} as json))) = '{{ kind }}', false)
{%- endmacro %}

{% macro postgres__is_json_kind(column, kind) -%}
    coalesce(jsonb_typeof(util.try_jsonb({{ column }})) = '{{ kind }}', false)
{%- endmacro %}


{#- `(a is null or b is null …)` -#}
{% macro any_null(columns) -%}
    ({% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %})
{%- endmacro %}


{#- "<code>: a, b missing" naming the listed columns that are null. -#}
{% macro missing_reason(code, columns) -%}
    '{{ code }}: ' || concat_ws(', '
        {%- for column in columns %}, case when {{ column }} is null then '{{ column }}' end{% endfor -%}
    ) || ' missing'
{%- endmacro %}


{#- "<code>: <field> "<raw value>" <problem>"; `field` names the value when `column` is an expression. -#}
{% macro reject_reason(code, column, problem, field=none) -%}
    '{{ code }}: {{ field or column }} "' || coalesce(cast({{ column }} as {{ string_type() }}), '') || '" {{ problem }}'
{%- endmacro %}


{#- The key of a raw row as text, values as delivered joined by '|' (never null: missing is empty). -#}
{% macro row_key(columns) -%}
    {%- for column in columns -%}
        coalesce(cast({{ column }} as {{ string_type() }}), ''){% if not loop.last %} || '|' || {% endif %}
    {%- endfor -%}
{%- endmacro %}
