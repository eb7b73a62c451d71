{#- GS1 identifiers inside EPCIS: EPC URNs (GS1 EPC Tag Data Standard §6) and GS1 Digital Link
    URIs (GS1 Digital Link Standard §4) → the plain GS1 keys the rest of the warehouse joins on.

      urn:epc:class:lgtin:<company prefix>.<indicator + item ref>.<lot>   → GTIN-14 + lot
      urn:epc:id:sgtin:<company prefix>.<indicator + item ref>.<serial>   → GTIN-14 + serial
      urn:epc:idpat:sgtin:<company prefix>.<indicator + item ref>.*      → GTIN-14
      urn:epc:id:sscc:<company prefix>.<extension + serial ref>          → SSCC (18 digits)
      urn:epc:id:sgln:<company prefix>.<location ref>.<extension>        → GLN (13 digits)
      urn:epc:id:pgln:<company prefix>.<party ref>                       → GLN (13 digits)
      https://<any host>/<optional path>/01/<gtin>[/22/<cpv>][/10/<lot>][/21/<serial>]
      https://<any host>/<optional path>/00/<sscc>
      https://<any host>/<optional path>/414/<gln>[/254/<ext>]  and  /417/<party gln>

    A URN carries the key without its check digit: it is computed (mod 10, GS1 General
    Specifications §7.9). A Digital Link carries the full key: it is kept as sent (a wrong check
    digit then shows up as a failed relationship, not silently repaired); a GTIN shorter than
    14 digits is left-padded with zeros. Lot and serial are returned as sent (no percent-decoding).
    Anything else (GRAI, GIAI, a malformed value) gives null: these macros never fail a query.

    The key macros (`epc_gtin14`, `epc_sscc`, `epc_gln`) expand to one expression each; where
    many rows are parsed, compute the `_body` macros in one CTE and `gs1_with_check_digit` in the
    next, so the regular expressions run once per row (see int_epcis_items_parsed). -#}


{#- Capture group `group` of the first match of `pattern` in `column`; null when no match.
    Patterns are written for both engines (RE2 in DuckDB, ARE in PostgreSQL): character classes
    such as [0-9] and [.], no backslashes, no lazy quantifiers. -#}
{% macro epc_regexp_group(column, pattern, group=1) -%}
    {{ return(adapter.dispatch('epc_regexp_group', 'retail_factory')(column, pattern, group)) }}
{%- endmacro %}

{% macro default__epc_regexp_group(column, pattern, group) -%}
    nullif(regexp_extract({{ column }}, '{{ pattern }}', {{ group }}), '')
{%- endmacro %}

{% macro postgres__epc_regexp_group(column, pattern, group) -%}
    nullif((regexp_match({{ column }}, '{{ pattern }}'))[{{ group }}], '')
{%- endmacro %}


{#- The GS1 mod-10 check digit of a key written without it (up to 17 digits): weights 3, 1, 3, …
    from the right-most digit, i.e. from the left of the key left-padded to 17 digits. -#}
{% macro gs1_check_digit(body) -%}
    cast((10 - (
        {%- for position in range(1, 18) %}
        cast(substr(lpad({{ body }}, 17, '0'), {{ position }}, 1) as integer) * {{ 3 if position % 2 == 1 else 1 }}
        {%- if not loop.last %} +{% endif %}
        {%- endfor %}
    ) % 10) % 10 as {{ string_type() }})
{%- endmacro %}

{#- The key with its check digit appended (null when body is null). -#}
{% macro gs1_with_check_digit(body) -%}
    ({{ body }} || {{ gs1_check_digit(body) }})
{%- endmacro %}


{#- Digital Link: the value of the primary-key AI `ai` (digits), after any host and path prefix. -#}
{% macro _epc_digital_link_key(column, ai, digits) -%}
    {{ epc_regexp_group(column, '^https?://[^/?#]+/(.*/)?' ~ ai ~ '/([0-9]{' ~ digits ~ '})([/?#]|$)', 2) }}
{%- endmacro %}


{#- How the identifier is written: 'urn', 'digital_link' or 'other'. -#}
{% macro epc_form(column) -%}
    case
        when {{ column }} like 'urn:epc:%' then 'urn'
        when {{ matches_regex(column, '^https?://[^/?#]+/(.*/)?(00|01|253|414|417|8003|8004)/') }} then 'digital_link'
        else 'other'
    end
{%- endmacro %}

{#- The kind of identifier: lgtin (GTIN + lot), sgtin (GTIN + serial), gtin (a class pattern or
    a GTIN alone), sscc, sgln, pgln, grai, giai, … or 'other'. -#}
{% macro epc_scheme(column) -%}
    case
        when {{ column }} like 'urn:epc:idpat:sgtin:%' then 'gtin'
        when {{ column }} like 'urn:epc:id:%' or {{ column }} like 'urn:epc:class:%'
            then coalesce({{ epc_regexp_group(column, '^urn:epc:(id|class):([a-z0-9]+):', 2) }}, 'other')
        when {{ matches_regex(column, '^https?://[^/?#]+/(.*/)?01/[0-9]{8,14}/(.*/)?21/[^/?#]+') }} then 'sgtin'
        when {{ matches_regex(column, '^https?://[^/?#]+/(.*/)?01/[0-9]{8,14}/(22/[^/?#]+/)?10/[^/?#]+') }} then 'lgtin'
        when {{ matches_regex(column, '^https?://[^/?#]+/(.*/)?01/[0-9]{8,14}([/?#]|$)') }} then 'gtin'
        when {{ matches_regex(column, '^https?://[^/?#]+/(.*/)?00/[0-9]{18}([/?#]|$)') }} then 'sscc'
        when {{ matches_regex(column, '^https?://[^/?#]+/(.*/)?414/[0-9]{13}([/?#]|$)') }} then 'sgln'
        when {{ matches_regex(column, '^https?://[^/?#]+/(.*/)?417/[0-9]{13}([/?#]|$)') }} then 'pgln'
        when {{ matches_regex(column, '^https?://[^/?#]+/(.*/)?8003/') }} then 'grai'
        when {{ matches_regex(column, '^https?://[^/?#]+/(.*/)?8004/') }} then 'giai'
        else 'other'
    end
{%- endmacro %}


{#- GTIN-14 ------------------------------------------------------------------------------------ -#}

{#- URN forms (sgtin, lgtin, idpat:sgtin): indicator digit + company prefix + item reference,
    13 digits, without check digit. Null for anything else. -#}
{% macro epc_gtin14_body(column) -%}
    case
        when length({{ epc_regexp_group(column, '^urn:epc:(id:sgtin|class:lgtin|idpat:sgtin):([0-9]+)[.]([0-9]+)([.]|$)', 2) }})
            + length({{ epc_regexp_group(column, '^urn:epc:(id:sgtin|class:lgtin|idpat:sgtin):([0-9]+)[.]([0-9]+)([.]|$)', 3) }}) = 13
            then substr({{ epc_regexp_group(column, '^urn:epc:(id:sgtin|class:lgtin|idpat:sgtin):([0-9]+)[.]([0-9]+)([.]|$)', 3) }}, 1, 1)
                || {{ epc_regexp_group(column, '^urn:epc:(id:sgtin|class:lgtin|idpat:sgtin):([0-9]+)[.]([0-9]+)([.]|$)', 2) }}
                || substr({{ epc_regexp_group(column, '^urn:epc:(id:sgtin|class:lgtin|idpat:sgtin):([0-9]+)[.]([0-9]+)([.]|$)', 3) }}, 2)
    end
{%- endmacro %}

{#- Digital Link form: the GTIN as sent (with its check digit), left-padded to 14 digits. -#}
{% macro epc_digital_link_gtin14(column) -%}
    lpad({{ _epc_digital_link_key(column, '01', '8,14') }}, 14, '0')
{%- endmacro %}

{#- The GTIN-14 of an SGTIN / LGTIN / GTIN pattern in URN or Digital Link form. -#}
{% macro epc_gtin14(column) -%}
    coalesce({{ gs1_with_check_digit(epc_gtin14_body(column)) }}, {{ epc_digital_link_gtin14(column) }})
{%- endmacro %}

{#- The GTIN-13 of a GTIN-14 whose indicator digit is 0 (the consumer unit our product data
    names), null for a case-level GTIN (indicator 1-8). -#}
{% macro gtin14_to_gtin13(gtin14) -%}
    case when substr({{ gtin14 }}, 1, 1) = '0' then substr({{ gtin14 }}, 2) end
{%- endmacro %}


{#- Lot and serial -------------------------------------------------------------------------------- -#}

{% macro epc_lot(column) -%}
    coalesce(
        {{ epc_regexp_group(column, '^urn:epc:class:lgtin:[0-9]+[.][0-9]+[.](.+)$', 1) }},
        {{ epc_regexp_group(column, '^https?://[^/?#]+/(.*/)?01/[0-9]{8,14}/(22/[^/?#]+/)?10/([^/?#]+)', 3) }}
    )
{%- endmacro %}

{% macro epc_serial(column) -%}
    coalesce(
        {{ epc_regexp_group(column, '^urn:epc:id:sgtin:[0-9]+[.][0-9]+[.](.+)$', 1) }},
        {{ epc_regexp_group(column, '^https?://[^/?#]+/(.*/)?01/[0-9]{8,14}/(22/[^/?#]+/)?(10/[^/?#]+/)?21/([^/?#]+)', 4) }}
    )
{%- endmacro %}


{#- SSCC ----------------------------------------------------------------------------------------- -#}

{#- URN form: extension digit + company prefix + serial reference, 17 digits, no check digit. -#}
{% macro epc_sscc_body(column) -%}
    case
        when length({{ epc_regexp_group(column, '^urn:epc:id:sscc:([0-9]+)[.]([0-9]+)$', 1) }})
            + length({{ epc_regexp_group(column, '^urn:epc:id:sscc:([0-9]+)[.]([0-9]+)$', 2) }}) = 17
            then substr({{ epc_regexp_group(column, '^urn:epc:id:sscc:([0-9]+)[.]([0-9]+)$', 2) }}, 1, 1)
                || {{ epc_regexp_group(column, '^urn:epc:id:sscc:([0-9]+)[.]([0-9]+)$', 1) }}
                || substr({{ epc_regexp_group(column, '^urn:epc:id:sscc:([0-9]+)[.]([0-9]+)$', 2) }}, 2)
    end
{%- endmacro %}

{% macro epc_digital_link_sscc(column) -%}
    {{ _epc_digital_link_key(column, '00', '18') }}
{%- endmacro %}

{% macro epc_sscc(column) -%}
    coalesce({{ gs1_with_check_digit(epc_sscc_body(column)) }}, {{ epc_digital_link_sscc(column) }})
{%- endmacro %}


{#- GLN ------------------------------------------------------------------------------------------ -#}

{#- URN forms (sgln, pgln): company prefix + location/party reference, 12 digits, no check
    digit; the SGLN extension (a sub-location) is dropped. -#}
{% macro epc_gln_body(column) -%}
    case
        when length({{ epc_regexp_group(column, '^urn:epc:id:(sgln|pgln):([0-9]+)[.]([0-9]*)([.]|$)', 2) }})
            + coalesce(length({{ epc_regexp_group(column, '^urn:epc:id:(sgln|pgln):([0-9]+)[.]([0-9]*)([.]|$)', 3) }}), 0) = 12
            then {{ epc_regexp_group(column, '^urn:epc:id:(sgln|pgln):([0-9]+)[.]([0-9]*)([.]|$)', 2) }}
                || coalesce({{ epc_regexp_group(column, '^urn:epc:id:(sgln|pgln):([0-9]+)[.]([0-9]*)([.]|$)', 3) }}, '')
    end
{%- endmacro %}

{#- Digital Link (414 location, 417 party) or a bare 13-digit GLN, as sent. -#}
{% macro epc_digital_link_gln(column) -%}
    coalesce(
        {{ epc_regexp_group(column, '^https?://[^/?#]+/(.*/)?(414|417)/([0-9]{13})([/?#]|$)', 3) }},
        case when {{ matches_regex(column, '^[0-9]{13}$') }} then {{ column }} end
    )
{%- endmacro %}

{% macro epc_gln(column) -%}
    coalesce({{ gs1_with_check_digit(epc_gln_body(column)) }}, {{ epc_digital_link_gln(column) }})
{%- endmacro %}


{#- CBV values ------------------------------------------------------------------------------------ -#}

{#- A CBV code as a bare word, whichever spelling was sent: 'location',
    'urn:epcglobal:cbv:sdt:location' and 'https://ref.gs1.org/cbv/SDT-location' → 'location'. -#}
{% macro cbv_bare_word(column) -%}
    regexp_replace({{ column }}, '^(urn:epcglobal:cbv:[a-z]+:|https?://ref[.]gs1[.]org/cbv/[A-Za-z]+-)', '')
{%- endmacro %}

{#- A business transaction id without its CBV wrapper: 'urn:epcglobal:cbv:bt:<GLN>:<id>' → '<id>';
    any other form is kept as sent. -#}
{% macro biz_transaction_id(column) -%}
    coalesce({{ epc_regexp_group(column, '^urn:epcglobal:cbv:bt:[0-9]{13}:(.+)$', 1) }}, {{ column }})
{%- endmacro %}
