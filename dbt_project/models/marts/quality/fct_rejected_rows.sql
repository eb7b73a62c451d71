{#- One row per rejected raw row, from every base staging model: where it came from (table, blob,
    row, ingest date), why it was rejected and the key it carried. Together with the stg models,
    every raw row is accounted for (tests/assert_raw_rows_accounted_for.sql).

    Incremental: each run rebuilds the ingest dates of ingest_date_window. The pre-hook first
    deletes those dates whole, so a raw partition that was reloaded (a corrected file lands as
    <stem>.v2.<ext> under another blob name) leaves no stale rejects behind, and a re-run
    appends exactly the rows it deleted. -#}
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_ingest_date_window() }}",
    )
}}
{%- set base_models = [
    ('retail__stores', 'base_retail__stores'),
    ('retail__products', 'base_retail__products'),
    ('retail__pos', 'base_retail__pos'),
    ('retail__stock', 'base_retail__stock'),
    ('retail__promotions', 'base_retail__promotions'),
    ('supply__warehouses', 'base_supply__warehouses'),
    ('supply__store_orders', 'base_supply__store_orders'),
    ('supply__shipments', 'base_supply__shipments'),
    ('supply__receipts', 'base_supply__receipts'),
    ('supply__purchase_orders', 'base_supply__purchase_orders'),
    ('supply__producer_deliveries', 'base_supply__producer_deliveries'),
    ('producer__producers', 'base_producer__producers'),
    ('producer__farms', 'base_producer__farms'),
    ('producer__epcis_events', 'base_producer__epcis_events'),
    ('producer__epcis_quantities', 'base_producer__epcis_quantities'),
    ('producer__epcis_epcs', 'base_producer__epcis_epcs'),
    ('producer__epcis_biz_transactions', 'base_producer__epcis_biz_transactions'),
    ('producer__epcis_parties', 'base_producer__epcis_parties'),
] -%}
with

{% for source_table, model in base_models %}
{{ model }} as (

    select
        '{{ source_table }}' as source_table,
        source_blob,
        source_row,
        ingest_date,
        rejection_reason,
        row_key

    from {{ ref(model) }}
    where rejection_reason is not null
        and {{ ingest_date_window('ingest_date') }}

),

{% endfor %}
rejected_rows as (

    {% for _, model in base_models %}
    select * from {{ model }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        cast(source_table as {{ string_type() }}) as source_table,
        cast(source_blob as {{ string_type() }}) as source_blob,
        cast(source_row as bigint) as source_row,
        cast(ingest_date as date) as ingest_date,
        cast(
            case
                when position(':' in rejection_reason) > 0
                    then substr(rejection_reason, 1, position(':' in rejection_reason) - 1)
                else rejection_reason
            end
            as {{ string_type() }}
        ) as rejection_code,
        cast(rejection_reason as {{ string_type() }}) as rejection_reason,
        cast(row_key as {{ string_type() }}) as rejected_key

    from rejected_rows

)

select * from final
