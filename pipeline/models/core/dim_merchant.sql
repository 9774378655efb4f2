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

from_transactions as (
  select merchant_id, merchant_name, mcc, merchant_category, city, country
  from (
    select
      t.*,
      row_number() over (partition by t.merchant_id order by t.txn_ts desc, t.transaction_id desc) as recency
    from {{ ref('stg_transactions') }} as t
    -- anti-join first: with daily snapshots this leaves nothing to rank
    where not exists (select 1 from latest_snapshot as s where s.merchant_id = t.merchant_id)
  ) as ranked
  where recency = 1
)

select *, false as is_inferred from latest_snapshot
union all
select *, true as is_inferred from from_transactions
