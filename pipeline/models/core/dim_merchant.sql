{{ config(materialized='table', tags=['core'], dist='all', sort='merchant_id') }}
-- Merchants as of their latest snapshot (type 1: a merchant's name or place is corrected, not versioned).
-- Merchants seen only in transactions get their attributes from their newest transaction.
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

-- merchants no snapshot knows, found from the merchant_id column alone: with daily snapshots there are none,
-- and the full transaction rows below are never read
unsnapshotted as (
  select distinct t.merchant_id
  from {{ ref('stg_transactions') }} as t
  where not exists (select 1 from latest_snapshot as s where s.merchant_id = t.merchant_id)
),

from_transactions as (
  select merchant_id, merchant_name, mcc, merchant_category, city, country
  from (
    select
      t.merchant_id, t.merchant_name, t.mcc, t.merchant_category, t.city, t.country,
      row_number() over (partition by t.merchant_id order by t.txn_ts desc, t.transaction_id desc) as recency
    from {{ ref('stg_transactions') }} as t
    where t.merchant_id in (select merchant_id from unsnapshotted)
  ) as ranked
  where recency = 1
)

select *, false as is_inferred from latest_snapshot
union all
select *, true as is_inferred from from_transactions
