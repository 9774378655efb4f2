{#
  The event dates a run's batch touched (var `event_dates`, a list of YYYY-MM-DD strings set by the pipeline).
  Incremental models rebuild exactly these dates; an empty list selects nothing.
#}
{% macro in_event_dates(column) -%}
  {%- set dates = var('event_dates', []) -%}
  {%- if dates | length == 0 -%}
    1 = 0
  {%- else -%}
    {{ column }} in ({% for day in dates %}cast('{{ day }}' as date){% if not loop.last %}, {% endif %}{% endfor %})
  {%- endif -%}
{%- endmacro %}

{# The date the customer-level marts are computed as of (var `as_of_date`, never the wall clock). #}
{% macro as_of_date() -%}
  cast('{{ var('as_of_date', var('logical_date')) }}' as date)
{%- endmacro %}
