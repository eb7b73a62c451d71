{#- dim_dates against days whose calendar facts are known: ISO weeks across New Year, weekdays,
    weekends and French public holidays (fixed and moving ones). Returns the days that disagree. -#}
with

expected as (

    select cast('2024-01-01' as date) as date_day, 2024 as iso_year, 1 as iso_week, 1 as iso_day_of_week,
        false as is_weekend, true as is_french_public_holiday
    union all
    select cast('2025-03-03' as date), 2025, 10, 1, false, false
    union all
    select cast('2025-03-09' as date), 2025, 10, 7, true, false
    union all
    select cast('2025-04-21' as date), 2025, 17, 1, false, true  -- Easter Monday
    union all
    select cast('2025-05-29' as date), 2025, 22, 4, false, true  -- Ascension Day
    union all
    select cast('2025-12-29' as date), 2026, 1, 1, false, false  -- ISO year 2026 starts
    union all
    select cast('2026-07-14' as date), 2026, 29, 2, false, true  -- National Day
    union all
    select cast('2027-01-03' as date), 2026, 53, 7, true, false  -- week 53

),

dim_dates as (

    select * from {{ ref('dim_dates') }}

),

disagreements as (

    select expected.*
    from expected
    left join dim_dates
        on expected.date_day = dim_dates.date_day
    where dim_dates.date_day is null
        or dim_dates.iso_year <> expected.iso_year
        or dim_dates.iso_week <> expected.iso_week
        or dim_dates.iso_day_of_week <> expected.iso_day_of_week
        or dim_dates.is_weekend <> expected.is_weekend
        or dim_dates.is_french_public_holiday <> expected.is_french_public_holiday
        or (dim_dates.iso_week_start_date <> {{ dbt.dateadd('day', '1 - expected.iso_day_of_week', 'expected.date_day') }})

)

select * from disagreements
