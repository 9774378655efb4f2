{#
  The staging transactions' columns with the types every engine agrees on (silver already enforces the record
  contract, so staging only fixes types), over `relation`: all of silver (stg_transactions) or the rows a run
  wrote (run_transactions() in macros/event_dates.sql). Rows of an ingest date the quality gate holds are left
  out (macros/quality_holds.sql).
#}
{% macro typed_transactions(relation) -%}
select
  transaction_id,
  customer_id,
  card_id,
  merchant_id,
  cast(txn_ts as timestamp) as txn_ts,
  cast(event_date as date) as event_date,
  cast(amount as decimal(18, 2)) as amount,
  currency,
  cast(fx_rate as decimal(18, 8)) as fx_rate,
  cast(amount_reporting as decimal(18, 2)) as amount_reporting,
  mcc,
  merchant_category,
  status,
  cast(is_refund as boolean) as is_refund,
  channel,
  card_token,
  entry_mode,
  country,
  city,
  merchant_name,
  decline_reason,
  cast(is_fraud as boolean) as is_fraud,
  original_transaction_id,
  cast(ingest_date as date) as ingest_date
from {{ relation }} as silver_row
where {{ not_held('silver_row.ingest_date') }}
{%- endmacro %}
