{#
  Exact ratios and money division, rounded half away from zero, identical on every engine. PostgreSQL's
  numeric division is exact; DuckDB divides DECIMALs as DOUBLE, so its versions divide integers instead.
#}

{# count ÷ count as DECIMAL(9,4); NULL when the denominator is 0. #}
{% macro ratio(numerator, denominator) -%}
  {{ adapter.dispatch('ratio')(numerator, denominator) }}
{%- endmacro %}

{% macro default__ratio(numerator, denominator) -%}
  cast(round(cast({{ numerator }} as numeric) / nullif({{ denominator }}, 0), 4) as decimal(9, 4))
{%- endmacro %}

{% macro duckdb__ratio(numerator, denominator) -%}
  cast(cast(((cast({{ numerator }} as hugeint) * 20000 + ({{ denominator }})) // (2 * nullif({{ denominator }}, 0))) as decimal(38, 0)) * 0.0001 as decimal(9, 4))
{%- endmacro %}

{# money ÷ count as DECIMAL(38,2) (money sums are DECIMAL(38,2)); NULL when the count is 0. #}
{% macro money_div(amount, count) -%}
  {{ adapter.dispatch('money_div')(amount, count) }}
{%- endmacro %}

{% macro default__money_div(amount, count) -%}
  cast(round(cast({{ amount }} as numeric) / nullif({{ count }}, 0), 2) as decimal(38, 2))
{%- endmacro %}

{% macro duckdb__money_div(amount, count) -%}
  cast(cast(sign({{ amount }}) * ((abs(cast(({{ amount }}) * 100 as hugeint)) * 2 + ({{ count }})) // (2 * nullif({{ count }}, 0))) as decimal(38, 0)) * 0.01 as decimal(38, 2))
{%- endmacro %}

{# Whole calendar months from the month of `start_date` to the month of `end_date`. #}
{% macro months_between(start_date, end_date) -%}
  ((cast(extract(year from {{ end_date }}) as integer) * 12 + cast(extract(month from {{ end_date }}) as integer))
   - (cast(extract(year from {{ start_date }}) as integer) * 12 + cast(extract(month from {{ start_date }}) as integer)))
{%- endmacro %}

{% macro month_start(day) -%}
  cast(date_trunc('month', {{ day }}) as date)
{%- endmacro %}
