{#
  The pipeline's on-run-end hook (dbt_project.yml): once every model of a run has built, the silver commits of
  its batch (var `silver_commits`, from the load: audit.silver_commits, src/orchestrator/silver-commits.ts) are
  done. Until then — a run killed or failed in its models — the next run's batch takes them again, with their
  event dates. A commit of a date the quality gate holds stays to do: the models left its rows out, and the run
  that releases the date takes it, with the event dates its rows left. Run by hand (no var) it does nothing.
#}
{% macro mark_silver_commits_modeled(run_id) -%}
  {%- set commits = var('silver_commits', []) -%}
  {%- if commits | length > 0 -%}
update {{ source('audit', 'silver_commits') }}
set modeled_by_run = '{{ run_id | replace("'", "''") }}', modeled_at = cast(current_timestamp as timestamp)
where modeled_by_run is null
  and txn_id in ({% for commit in commits %}'{{ commit | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %})
  and not exists (
    select 1 from {{ source('audit', 'quality_holds') }} as quality_hold
    where quality_hold.status = 'held' and quality_hold.ingest_date = {{ source('audit', 'silver_commits') }}.ingest_date
  )
  {%- endif -%}
{%- endmacro %}
