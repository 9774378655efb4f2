{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    partition_by='event_date',
    partitions=var('event_dates', []),
    rebuild_if="{{ money_sum_too_narrow(this, 'fraud_amount') }}",
    sort='event_date',
    tags=['marts', 'daily', 'fraud']
  )
}}
-- Fraud by event date × merchant category × country × channel. Fraud = labelled is_fraud (unlabelled counts as
-- not fraud); rates are over all transactions of the group.
select
  event_date,
  merchant_category,
  coalesce(country, 'unknown') as country,
  channel,
  count(*) as transaction_count,
  count(case when is_fraud then 1 end) as fraud_count,
  {{ ratio('count(case when is_fraud then 1 end)', 'count(*)') }} as fraud_rate,
  cast(coalesce(sum(case when is_fraud then amount_reporting end), 0) as decimal(38, 2)) as fraud_amount,
  count(case when status = 'declined' then 1 end) as declined_count,
  {{ ratio("count(case when status = 'declined' then 1 end)", 'count(*)') }} as decline_rate
from {{ ref('fact_transactions') }}
{% if is_incremental() %}
where {{ in_event_dates('event_date') }}
{% endif %}
group by event_date, merchant_category, coalesce(country, 'unknown'), channel
