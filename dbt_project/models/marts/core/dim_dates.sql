{#- A fixed calendar, 2024-01-01 to 2027-12-31: the same years as the holiday seed, so every date
    the facts carry (including requested, due and best-before dates ahead of the data) finds its
    row, and the table does not change from one run to the next. Widen both together. -#}
with

french_public_holidays as (

    select * from {{ ref('french_public_holidays') }}

),

spine as (

    {{ dbt.date_spine('day', "cast('2024-01-01' as date)", "cast('2028-01-01' as date)") }}

),

days as (

    select cast(date_day as date) as date_day
    from spine

),

described as (

    select
        days.date_day,
        {{ iso_year("days.date_day") }} as iso_year,
        extract(week from days.date_day) as iso_week,
        {{ iso_day_of_week("days.date_day") }} as iso_day_of_week,
        extract(month from days.date_day) as month_of_year,
        extract(quarter from days.date_day) as quarter_of_year,
        extract(year from days.date_day) as calendar_year,
        french_public_holidays.holiday_name

    from days
    left join french_public_holidays
        on days.date_day = french_public_holidays.date_day

),

final as (

    select
        cast(date_day as date) as date_day,
        cast(calendar_year as integer) as calendar_year,
        cast(iso_year as integer) as iso_year,
        cast(iso_week as integer) as iso_week,
        cast(iso_day_of_week as integer) as iso_day_of_week,
        cast(
            case cast(iso_day_of_week as integer)
                when 1 then 'Monday'
                when 2 then 'Tuesday'
                when 3 then 'Wednesday'
                when 4 then 'Thursday'
                when 5 then 'Friday'
                when 6 then 'Saturday'
                when 7 then 'Sunday'
            end as {{ string_type() }}
        ) as day_name,
        cast(month_of_year as integer) as month,
        cast(quarter_of_year as integer) as quarter,
        cast({{ dbt.dateadd('day', '1 - cast(iso_day_of_week as integer)', 'date_day') }} as date) as iso_week_start_date,
        cast(iso_day_of_week >= 6 as boolean) as is_weekend,
        cast(holiday_name is not null as boolean) as is_french_public_holiday,
        cast(holiday_name as {{ string_type() }}) as holiday_name

    from described

)

select * from final
