{#
  Type-2 versions from daily snapshots (one row per key and snapshot_date): a new version starts on the first
  snapshot whose `columns` differ from the previous snapshot's. The first version is valid from 1900-01-01, so a
  transaction older than the first snapshot (late data) still finds its row; valid_to is exclusive and
  9999-12-31 for the current version.
#}
{% macro scd2_versions(snapshots, key, columns) -%}
with scd2_hashed as (
  select
    {{ key }}, {{ columns | join(', ') }}, snapshot_date,
    md5({% for column in columns %}coalesce(cast({{ column }} as varchar), ''){% if not loop.last %} || '|' || {% endif %}{% endfor %}) as scd2_hash
  from {{ snapshots }}
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

select
  {{ key }}, {{ columns | join(', ') }},
  case when version = 1 then cast('1900-01-01' as date) else snapshot_date end as valid_from,
  coalesce(next_version_date, cast('9999-12-31' as date)) as valid_to,
  next_version_date is null as is_current,
  false as is_inferred
from scd2_starts
{%- endmacro %}
