{#- GS1 keys (GTIN-8/12/13/14, GLN, SSCC) end with a mod-10 check digit (GS1 General
    Specifications §7.9). Left-padded to 18 digits, the weights from the left are 3, 1, 3, …
    for the first 17 digits; the 18th is the check digit. Plain SQL: the same on every warehouse.
    The case guards the casts: digits are only read once the value is known to be all digits. -#}
{% macro is_valid_gs1_key(column, lengths=(8, 12, 13, 14, 18)) -%}
    case
        when {{ matches_regex(column, '^[0-9]+$') }} and length({{ column }}) in ({{ lengths | join(', ') }})
            then (
                10 - (
                    {%- for position in range(1, 18) %}
                    cast(substr(lpad({{ column }}, 18, '0'), {{ position }}, 1) as integer) * {{ 3 if position % 2 == 1 else 1 }}
                    {%- if not loop.last %} +{% endif %}
                    {%- endfor %}
                ) % 10
            ) % 10 = cast(substr(lpad({{ column }}, 18, '0'), 18, 1) as integer)
        else false
    end
{%- endmacro %}

{% macro is_valid_gtin(column) -%}
    {{ is_valid_gs1_key(column, (8, 12, 13, 14)) }}
{%- endmacro %}

{% macro is_valid_gln(column) -%}
    {{ is_valid_gs1_key(column, (13,)) }}
{%- endmacro %}

{% macro is_valid_sscc(column) -%}
    {{ is_valid_gs1_key(column, (18,)) }}
{%- endmacro %}
