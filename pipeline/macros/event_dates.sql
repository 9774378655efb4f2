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
  The rows of a run's batch: those of the ingest dates whose silver commits it takes (var `ingest_dates`, set by
  the pipeline: the run's own and any a killed or failed run left; by hand, var `logical_date`). Each of them
  sits in an event date the batch touched, so with `event_column` (and var `event_dates` set) a reader of the
  silver files, which are partitioned by event date, skips the other dates' files.
#}
{% macro ingest_batch(ingest_column, event_column=none) -%}
  {%- set days = var('ingest_dates', [var('logical_date')]) -%}
  {%- if days | length == 0 -%}
    1 = 0
  {%- elif days | length == 1 -%}
    {{ ingest_column }} = cast('{{ days[0] }}' as date)
  {%- else -%}
    {{ ingest_column }} in ({% for day in days %}cast('{{ day }}' as date){% if not loop.last %}, {% endif %}{% endfor %})
  {%- endif -%}
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
  The groups (values of `columns`, event_date among them) whose fact rows changed: those of the rows the fact
  inserted and of the rows it deleted (the replaced versions, also where a version left its group), which it
  keeps in changed_rows('fact_transactions') (config record_changes) until every model reading them has built —
  so a run killed before its readers committed leaves them to the next run. In a pipeline run, within the event
  dates of its batch (var `event_dates`), which cover every record left (the batch keeps the commits of a
  models run that did not finish); by hand, every record. After a full build of the fact changed_rows is every
  fact row. A model keyed by such a group recomputes only these (late rows touch a few merchants of an old day,
  not the whole day), and reading a record twice recomputes the same group from the same fact rows.
#}
{% macro changed_fact_groups(columns) -%}
  select distinct {{ columns | join(', ') }} from {{ changed_rows('fact_transactions') }}
  where {{ in_changed_dates('event_date') }}
{%- endmacro %}

{#
  The event dates a reader of changed_fact_groups() recomputes: var `event_dates` in a pipeline run (the fact's
  rows are read by date, so the list prunes the scan), every date by hand, as changed_fact_groups() reads them.
#}
{% macro in_changed_dates(column) -%}
  {%- if var('event_dates', none) == none -%}
    1 = 1
  {%- else -%}
    {{ in_event_dates(column) }}
  {%- endif -%}
{%- endmacro %}

{# The rows of `relation` (a model keyed by `columns`) in a group changed_fact_groups(columns) returns. #}
{% macro in_changed_fact_groups(relation, columns) -%}
  exists (
    select 1 from ({{ changed_fact_groups(columns) }}) as changed
    where {% for column in columns %}changed.{{ column }} = {{ relation }}.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
  )
{%- endmacro %}
