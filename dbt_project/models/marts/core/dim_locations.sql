{#- Every place of the chain and its suppliers, one row per GLN: stores, warehouses, producers
    (plants, cooperatives, mills, manufacturers), farms, and the places EPCIS events name (read
    points, business locations, source/destination locations and parties) mapped from SGLN /
    PGLN / Digital Link to their GLN. Master data wins over EPCIS: a GLN is described by the first
    of stores, warehouses, producers, farms that lists it (its latest snapshot); a GLN only EPCIS
    names is location_type 'unknown'. -#}
with

stg_retail__stores as (

    select * from {{ ref('stg_retail__stores') }}

),

stg_supply__warehouses as (

    select * from {{ ref('stg_supply__warehouses') }}

),

stg_producer__producers as (

    select * from {{ ref('stg_producer__producers') }}

),

stg_producer__farms as (

    select * from {{ ref('stg_producer__farms') }}

),

stg_producer__epcis_events as (

    select * from {{ ref('stg_producer__epcis_events') }}

),

stg_producer__epcis_parties as (

    select * from {{ ref('stg_producer__epcis_parties') }}

),

stores as (

    select
        store_id as location_id,
        'store' as location_type,
        name,
        city,
        region,
        'FR' as country,  -- contract: stores are in French administrative regions
        latitude,
        longitude,
        warehouse_id as parent_id,
        true as is_chain_owned,
        'stores' as source_entity,
        snapshot_date,
        1 as source_priority,
        row_number() over (partition by store_id order by snapshot_date desc, source_blob desc, source_row desc) as snapshot_rank

    from stg_retail__stores

),

warehouses as (

    select
        warehouse_id as location_id,
        'warehouse' as location_type,
        name,
        city,
        region,
        'FR' as country,  -- the chain's warehouses serve its French stores
        latitude,
        longitude,
        cast(null as {{ string_type() }}) as parent_id,
        true as is_chain_owned,
        'warehouses' as source_entity,
        snapshot_date,
        2 as source_priority,
        row_number() over (partition by warehouse_id order by snapshot_date desc, source_blob desc, source_row desc) as snapshot_rank

    from stg_supply__warehouses

),

producers as (

    select
        producer_id as location_id,
        kind as location_type,
        name,
        cast(null as {{ string_type() }}) as city,
        region,
        country,
        cast(null as {{ double_type() }}) as latitude,
        cast(null as {{ double_type() }}) as longitude,
        cast(null as {{ string_type() }}) as parent_id,
        is_chain_owned,
        'producers' as source_entity,
        snapshot_date,
        3 as source_priority,
        row_number() over (partition by producer_id order by snapshot_date desc, source_blob desc, source_row desc) as snapshot_rank

    from stg_producer__producers

),

farms as (

    select
        farm_id as location_id,
        'farm' as location_type,
        name,
        cast(null as {{ string_type() }}) as city,
        region,
        country,
        latitude,
        longitude,
        producer_id as parent_id,  -- the cooperative the farm delivers through
        false as is_chain_owned,
        'farms' as source_entity,
        snapshot_date,
        4 as source_priority,
        row_number() over (partition by farm_id order by snapshot_date desc, source_blob desc, source_row desc) as snapshot_rank

    from stg_producer__farms

),

epcis_place_identifiers as (

    select read_point as identifier from stg_producer__epcis_events where read_point is not null
    union
    select biz_location from stg_producer__epcis_events where biz_location is not null
    union
    select party from stg_producer__epcis_parties where party is not null

),

epcis_place_glns_parsed as (

    select
        identifier,
        {{ epc_gln_body('identifier') }} as gln_body,
        {{ epc_digital_link_gln('identifier') }} as digital_link_gln

    from epcis_place_identifiers

),

epcis_places as (

    select distinct
        coalesce({{ gs1_with_check_digit('gln_body') }}, digital_link_gln) as location_id

    from epcis_place_glns_parsed

),

epcis_only_places as (

    select
        location_id,
        'unknown' as location_type,
        cast(null as {{ string_type() }}) as name,
        cast(null as {{ string_type() }}) as city,
        cast(null as {{ string_type() }}) as region,
        cast(null as {{ string_type() }}) as country,
        cast(null as {{ double_type() }}) as latitude,
        cast(null as {{ double_type() }}) as longitude,
        cast(null as {{ string_type() }}) as parent_id,
        cast(null as boolean) as is_chain_owned,
        'epcis' as source_entity,
        cast(null as date) as snapshot_date,
        5 as source_priority,
        cast(1 as bigint) as snapshot_rank

    from epcis_places
    where location_id is not null

),

candidates as (

    select * from stores where snapshot_rank = 1
    union all
    select * from warehouses where snapshot_rank = 1
    union all
    select * from producers where snapshot_rank = 1
    union all
    select * from farms where snapshot_rank = 1
    union all
    select * from epcis_only_places

),

candidates_ranked as (

    select
        *,
        row_number() over (partition by location_id order by source_priority) as source_rank

    from candidates

),

final as (

    select
        -- ids
        cast(location_id as {{ string_type() }}) as location_id,
        cast(parent_id as {{ string_type() }}) as parent_id,

        -- strings
        cast(location_type as {{ string_type() }}) as location_type,
        cast(name as {{ string_type() }}) as location_name,
        cast(city as {{ string_type() }}) as city,
        cast(region as {{ string_type() }}) as region,
        cast(country as {{ string_type() }}) as country,
        cast(source_entity as {{ string_type() }}) as source_entity,

        -- numerics
        cast(latitude as {{ double_type() }}) as latitude,
        cast(longitude as {{ double_type() }}) as longitude,

        -- booleans
        cast(is_chain_owned as boolean) as is_chain_owned,

        -- dates
        cast(snapshot_date as date) as last_seen_date

    from candidates_ranked
    where source_rank = 1

)

select * from final
