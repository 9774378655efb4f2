{{ config(materialized='view', tags=['staging']) }}
select
  merchant_id,
  merchant_name,
  mcc,
  merchant_category,
  city,
  country,
  cast(snapshot_date as date) as snapshot_date
from {{ source('silver', 'merchants') }} as snapshot
-- a held ingest date holds its snapshot too (macros/quality_holds.sql)
where {{ not_held('snapshot.snapshot_date') }}
