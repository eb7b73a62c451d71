{#- The products whose current catalog entry carries nutrition facts that cannot be right: which
    file and row, which field, and what was wrong (not a number, negative, above 100 g in 100 g, a
    part above its whole). The product stays in dim_products with Nutri-Score "unknown"; correct
    the catalog at its source and the next snapshot clears the row. -#}
with

products as (

    select * from {{ ref('int_products_deduplicated') }}

),

final as (

    select
        -- ids
        cast(gtin as {{ string_type() }}) as gtin,

        -- strings
        cast(name as {{ string_type() }}) as product_name,
        cast(split_part(nutrition_problem, ':', 1) as {{ string_type() }}) as rejection_code,
        cast(nutrition_problem as {{ string_type() }}) as rejection_reason,
        cast(source_blob as {{ string_type() }}) as source_blob,

        -- numerics
        cast(source_row as bigint) as source_row,

        -- dates
        cast(snapshot_date as date) as snapshot_date

    from products
    where nutrition_problem is not null

)

select * from final
