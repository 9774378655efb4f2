{#
  rebuild_if of an incremental model that keeps money sums (DECIMAL(38,2), macros/purchase_measures.sql): a
  table built when its sums were DECIMAL(18,2) is rebuilt in full once, so a large sum of a later run is never
  cast into the narrower column (where it would overflow). `column` is one of its sum columns.
#}
{% macro money_sum_too_narrow(relation, column) -%}
  {{ adapter.dispatch('money_sum_too_narrow')(relation, column) }}
{%- endmacro %}

{# PostgreSQL keeps the declared precision in the catalog only (pg_typeof shows plain numeric). #}
{% macro default__money_sum_too_narrow(relation, column) -%}
select format_type(atttypid, atttypmod) <> 'numeric(38,2)' from pg_attribute
where attrelid = '{{ relation }}'::regclass and attname = '{{ column }}'
{%- endmacro %}

{# typeof() of the column's type, read from at most one row; max() of no rows is a typed NULL too. #}
{% macro duckdb__money_sum_too_narrow(relation, column) -%}
select typeof(max({{ column }})) <> 'DECIMAL(38,2)' from (select {{ column }} from {{ relation }} limit 1) as one_row
{%- endmacro %}
