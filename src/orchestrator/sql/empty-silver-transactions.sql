-- The silver transactions contract (src/silver/README.md) as an empty table, for a warehouse whose lake has no
-- silver transactions yet (every record of the first day quarantined).
create table {{relation}} (
  transaction_id varchar, customer_id varchar, card_id varchar, merchant_id varchar,
  txn_ts timestamp, event_date date, amount decimal(18, 2), currency varchar, fx_rate decimal(18, 8),
  amount_reporting decimal(18, 2), mcc varchar, merchant_category varchar, status varchar, is_refund boolean,
  channel varchar, card_token varchar, card_bin varchar, card_last4 varchar, entry_mode varchar, country varchar,
  city varchar, merchant_name varchar, decline_reason varchar, original_transaction_id varchar, is_fraud boolean,
  ingest_date date, source_file varchar, source_line bigint, record_hash varchar
)
