{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='merchant_id',
    rebuild_if="select count(inferred_from_transaction_id) < 0 from {{ this }}",
    tags=['core'],
    dist='all',
    sort='merchant_id'
  )
}}
-- Merchants as of their latest snapshot (type 1: a merchant's name or place is corrected, not versioned).
-- Merchants seen only in transactions get their attributes from their newest transaction, which the row keeps
-- (inferred_from_txn_ts, inferred_from_transaction_id). An incremental run reads the snapshots (small) and the
-- transactions of its ingest date only: the newest transaction of a merchant is then the newest of the run's and
-- the one its row was inferred from, so a run's cost does not grow with the history. A correction that moves a
-- merchant's newest transaction to another merchant is picked up by the next full refresh. rebuild_if cannot run
-- on a table without inferred_from_*, which rebuilds that table in full.
with latest_snapshot as (
  select merchant_id, merchant_name, mcc, merchant_category, city, country
  from (
    select
      *,
      row_number() over (partition by merchant_id order by snapshot_date desc) as recency
    from {{ ref('stg_merchants') }}
  ) as ranked
  where recency = 1
),

-- the transactions of merchants no snapshot knows, and what earlier runs inferred for them
unsnapshotted as (
  select
    t.merchant_id, t.merchant_name, t.mcc, t.merchant_category, t.city, t.country,
    t.txn_ts, t.transaction_id
  from {{ run_transactions(is_incremental()) }} as t
  where not exists (select 1 from latest_snapshot as s where s.merchant_id = t.merchant_id)
  {% if is_incremental() %}
    and {{ ingest_batch('t.ingest_date') }}
  union all
  select
    d.merchant_id, d.merchant_name, d.mcc, d.merchant_category, d.city, d.country,
    d.inferred_from_txn_ts, d.inferred_from_transaction_id
  from {{ this }} as d
  where d.is_inferred and not exists (select 1 from latest_snapshot as s where s.merchant_id = d.merchant_id)
  {% endif %}
),

from_transactions as (
  select merchant_id, merchant_name, mcc, merchant_category, city, country, txn_ts, transaction_id
  from (
    select
      *,
      row_number() over (partition by merchant_id order by txn_ts desc, transaction_id desc) as recency
    from unsnapshotted
  ) as ranked
  where recency = 1
)

select
  merchant_id, merchant_name, mcc, merchant_category, city, country,
  false as is_inferred,
  cast(null as timestamp) as inferred_from_txn_ts,
  cast(null as varchar) as inferred_from_transaction_id
from latest_snapshot
union all
select
  merchant_id, merchant_name, mcc, merchant_category, city, country,
  true as is_inferred,
  txn_ts as inferred_from_txn_ts,
  transaction_id as inferred_from_transaction_id
from from_transactions
