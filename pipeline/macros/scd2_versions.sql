{#
  Type-2 versions from daily snapshots (one row per key and snapshot_date): a new version starts on the first
  snapshot whose `columns` differ from the previous snapshot's. The first version is valid from 1900-01-01, so a
  transaction older than the first snapshot (late data) still finds its row; valid_to is exclusive and
  9999-12-31 for the current version; first_snapshot_date is the snapshot the version was first seen in.

  Incremental (`existing`: the model's `this`, the dimension built so far): only snapshots newer than
  every version start the table holds are read, chained after each key's current version as if it were the
  snapshot it started in. Only keys with a new version come out — with all their versions, for a delete+insert
  by key — so the result equals a full build as long as no snapshot up to that point changed since; the model's
  rebuild_if (scd2_older_snapshot_arrived) rebuilds in full when one may have.
#}
{% macro scd2_versions(snapshots, key, columns, existing=none) -%}
{%- set incremental = is_incremental() and existing != none -%}
with scd2_input as (
  {%- if incremental %}
  select {{ key }}, {{ columns | join(', ') }}, first_snapshot_date as snapshot_date, valid_from as stored_valid_from
  from {{ existing }}
  where is_current and not is_inferred
  union all
  {%- endif %}
  select {{ key }}, {{ columns | join(', ') }}, snapshot_date, cast(null as date) as stored_valid_from
  from {{ snapshots }}
  {%- if incremental %}
  where {{ scd2_unread_snapshot('snapshot_date', existing) }}
  {%- endif %}
),

scd2_hashed as (
  select
    *,
    md5({% for column in columns %}coalesce(cast({{ column }} as varchar), ''){% if not loop.last %} || '|' || {% endif %}{% endfor %}) as scd2_hash
  from scd2_input
),

scd2_changes as (
  select
    *,
    lag(scd2_hash) over (partition by {{ key }} order by snapshot_date) as previous_hash
  from scd2_hashed
),

scd2_starts as (
  select
    *,
    row_number() over (partition by {{ key }} order by snapshot_date) as version,
    lead(snapshot_date) over (partition by {{ key }} order by snapshot_date) as next_version_date
  from scd2_changes
  where previous_hash is null or previous_hash <> scd2_hash
)
{%- if incremental %},

scd2_changed_keys as (
  select distinct {{ key }} from scd2_starts where stored_valid_from is null
)
{%- endif %}

select
  {{ key }}, {{ columns | join(', ') }},
  case
    when stored_valid_from is not null then stored_valid_from
    when version = 1 then cast('1900-01-01' as date)
    else snapshot_date
  end as valid_from,
  coalesce(next_version_date, cast('9999-12-31' as date)) as valid_to,
  next_version_date is null as is_current,
  false as is_inferred,
  snapshot_date as first_snapshot_date
from scd2_starts
{%- if incremental %}
where {{ key }} in (select {{ key }} from scd2_changed_keys)
union all
select
  {{ key }}, {{ columns | join(', ') }}, valid_from, valid_to, is_current, is_inferred, first_snapshot_date
from {{ existing }}
where not is_current and not is_inferred and {{ key }} in (select {{ key }} from scd2_changed_keys)
{%- endif %}
{%- endmacro %}

{#
  rebuild_if of an incremental SCD2 dimension: the run's snapshot (dated its logical date) is not newer than
  every version start in the table — a rerun or an older date — so versions after it may change.
#}
{% macro scd2_older_snapshot_arrived(existing) -%}
select cast('{{ var('logical_date') }}' as date) <= max(first_snapshot_date) from {{ existing }}
{%- endmacro %}

{#
  A snapshot an incremental SCD2 dimension has not read yet: newer than every version start it holds (every key
  of the older snapshots is in the table).
#}
{% macro scd2_unread_snapshot(column, existing) -%}
{{ column }} > (select coalesce(max(first_snapshot_date), cast('1900-01-01' as date)) from {{ existing }})
{%- endmacro %}
