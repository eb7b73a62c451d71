with

base as (

    select * from {{ ref('base_retail__pos') }}
    where rejection_reason is null

),

renamed as (

    select
        -- ids
        store_id,
        ticket_id,
        line_number,
        gtin,
        promo_id,

        -- strings
        label,

        -- numerics
        quantity,
        unit_price,
        discount_amount,
        line_amount,

        -- booleans
        promo_id is not null as is_promoted,

        -- dates
        sold_date,
        ingest_date,

        -- timestamps
        sold_at,

        -- lineage
        source_blob,
        source_row

    from base

)

select * from renamed
