{#
  The quality gate's holds (src/quality/README.md): rows of an ingest date whose gate failed, and that no
  operator accepted, reach no model. Every model reads silver through the staging views and run_transactions(),
  which all apply this filter, so it holds on every engine, for incremental runs, later dates that touch the
  same event dates, and full refreshes. audit.quality_holds is a copy of the lake's hold records, kept by the
  run's quality task; a held date's entity snapshots (snapshot_date = its ingest date) are held with it.
#}
{% macro not_held(date_column) -%}
  not exists (
    select 1 from {{ source('audit', 'quality_holds') }} as quality_hold
    where quality_hold.status = 'held' and quality_hold.ingest_date = {{ date_column }}
  )
{%- endmacro %}
