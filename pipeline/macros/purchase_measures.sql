{#
  Purchases, refunds and net amount of a group of fact rows, in the reporting currency — the one place that
  says what they are: purchase = approved and not a refund (is_purchase), refund = approved and a refund
  (is_approved_refund), net = purchases − refunds. `alias` qualifies the fact's columns ('f.' for `… as f`).
  Sums are DECIMAL(38,2), like every money sum of the marts: one amount is at most DECIMAL(18,2) (silver
  quarantines larger ones), and 36 digits before the point hold 10^20 of them, any year of any feed.
#}
{% macro purchase_measures(alias='') -%}
  count(case when {{ alias }}is_purchase then 1 end) as purchase_count,
  cast(coalesce(sum(case when {{ alias }}is_purchase then {{ alias }}amount_reporting end), 0) as decimal(38, 2)) as purchase_amount,
  count(case when {{ alias }}is_approved_refund then 1 end) as refund_count,
  cast(coalesce(sum(case when {{ alias }}is_approved_refund then {{ alias }}amount_reporting end), 0) as decimal(38, 2)) as refund_amount,
  cast(
    coalesce(sum(case when {{ alias }}is_purchase then {{ alias }}amount_reporting end), 0)
    - coalesce(sum(case when {{ alias }}is_approved_refund then {{ alias }}amount_reporting end), 0)
    as decimal(38, 2)
  ) as net_amount
{%- endmacro %}
