{#- Fails with one row per combination of the given columns that occurs more than once (the
    dbt_utils test of the same name, which cannot be installed here: no dbt hub).
    Usage: data_tests: - unique_combination_of_columns: {arguments: {combination_of_columns: [a, b]}} -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

validation_errors as (

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences

    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

)

select * from validation_errors

{% endtest %}
