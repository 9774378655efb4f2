-- Nothing lost, nothing counted twice: the fact holds exactly the transactions of silver. Returns the ids that
-- are in one and not the other. In a pipeline run it reconciles the rows the run wrote (every row a run changes
-- carries its ingest_date on both sides; macros/event_dates.sql); by hand, every row.
with silver as (
  select transaction_id from {{ run_transactions(true) }} as run_rows where {{ written_by_run('ingest_date', 'event_date') }}
),
fact as (
  select transaction_id from {{ ref('fact_transactions') }} where {{ written_by_run('ingest_date') }}
)
select coalesce(s.transaction_id, f.transaction_id) as transaction_id,
       case when f.transaction_id is null then 'missing_in_fact' else 'not_in_silver' end as problem
from silver as s
full outer join fact as f on f.transaction_id = s.transaction_id
where s.transaction_id is null or f.transaction_id is null
