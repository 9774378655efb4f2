{{ config(materialized='view', tags=['staging']) }}
select
  card_id,
  customer_id,
  brand,
  card_type,
  card_token,
  card_bin,
  card_last4,
  cast(issue_date as date) as issue_date,
  cast(expiry_date as date) as expiry_date,
  cast(credit_limit as decimal(18, 2)) as credit_limit,
  status as card_status,
  cast(snapshot_date as date) as snapshot_date
from {{ source('silver', 'cards') }} as snapshot
-- a held ingest date holds its snapshot too (macros/quality_holds.sql)
where {{ not_held('snapshot.snapshot_date') }}
