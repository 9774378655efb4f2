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

{#
  The rows a run's silver commit wrote: those of its ingest date (var `logical_date`). Each of them sits in an event
  date the run touched, so with `event_column` (and var `event_dates` set) a reader of the silver files, which are
  partitioned by event date, skips the other dates' files.
#}
{% macro ingest_batch(ingest_column, event_column=none) -%}
  {{ ingest_column }} = cast('{{ var('logical_date') }}' as date)
  {%- if event_column != none and var('event_dates', none) != none %} and {{ in_event_dates(event_column) }}{% endif -%}
{%- endmacro %}

{#
  Test scopes (the `where` config of a test). In a pipeline run (var `event_dates` set) a test checks what the
  run wrote — the rows of its ingest date, or the event dates it rebuilt — instead of rescanning every day of
  history; run by hand (`fintech-etl models test`, no `event_dates`) the same test checks every row.
#}
{% macro written_by_run(ingest_column, event_column=none) -%}
  {%- if var('event_dates', none) == none -%}
    1 = 1
  {%- else -%}
    {{ ingest_batch(ingest_column, event_column) }}
  {%- endif -%}
{%- endmacro %}

{% macro rebuilt_by_run(column) -%}
  {%- if var('event_dates', none) == none -%}
    1 = 1
  {%- else -%}
    {{ in_event_dates(column) }}
  {%- endif -%}
{%- endmacro %}

{#
  Where a model reads the run's transactions from. In a pipeline run (var `silver_batch`, set by the run) and
  when `batch` is true (an incremental build; a test of what the run wrote): the rows the run's silver commit
  wrote, staging.silver_transactions_batch typed like stg_transactions, which on DuckDB reads only those files
  instead of every file of the event dates the run touched (thousands after a month of late data). Otherwise (a full build, models run by hand): stg_transactions. A subquery, not a model: by hand
  nothing reads the batch, which the next run's silver commit may have made stale (its files merged away).
  Callers still filter with ingest_batch()/written_by_run(), which the batch satisfies.
#}
{% macro run_transactions(batch) -%}
  {%- set written = source('silver', 'transactions_batch') -%}
  {%- if batch and var('silver_batch', false) -%}
    ({{ typed_transactions(written) }})
  {%- else -%}
    {{ ref('stg_transactions') }}
  {%- endif -%}
{%- endmacro %}

{#
  The groups (values of `columns`, event_date among them) whose fact rows a pipeline run changed: those of the
  rows it inserted and of the rows it deleted (the replaced versions, also where a version left its group),
  which the fact keeps in changed_rows('fact_transactions') (config record_changes), within the event dates
  the run touched. After a full build of the fact changed_rows is every fact row, so these are every group of
  those dates. A model keyed by such a group recomputes only these (late rows touch a few merchants of an old
  day, not the whole day).
#}
{% macro changed_fact_groups(columns) -%}
  select distinct {{ columns | join(', ') }} from {{ changed_rows('fact_transactions') }}
  where {{ in_event_dates('event_date') }}
{%- endmacro %}

{# The rows of `relation` (a model keyed by `columns`) in a group changed_fact_groups(columns) returns. #}
{% macro in_changed_fact_groups(relation, columns) -%}
  exists (
    select 1 from ({{ changed_fact_groups(columns) }}) as changed
    where {% for column in columns %}changed.{{ column }} = {{ relation }}.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
  )
{%- endmacro %}
