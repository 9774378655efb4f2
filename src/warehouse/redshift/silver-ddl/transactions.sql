-- staging.silver_transactions on Redshift, from the silver contract (src/silver/README.md). Redshift cannot
-- guess columns from Parquet on S3, so the table is declared; the primary key is informational there.
create table if not exists "staging"."silver_transactions" (
  transaction_id varchar(64) not null,
  customer_id varchar(64),
  card_id varchar(64),
  merchant_id varchar(64),
  txn_ts timestamp,
  event_date date,
  amount decimal(18,2),
  currency varchar(3),
  fx_rate decimal(18,8),
  amount_reporting decimal(18,2),
  mcc varchar(4),
  merchant_category varchar(64),
  status varchar(16),
  is_refund boolean,
  channel varchar(16),
  card_token varchar(64),
  card_bin varchar(6),
  card_last4 varchar(4),
  entry_mode varchar(32),
  country varchar(64),
  city varchar(128),
  merchant_name varchar(256),
  decline_reason varchar(256),
  original_transaction_id varchar(64),
  is_fraud boolean,
  ingest_date date,
  source_file varchar(1024),
  source_line bigint,
  record_hash varchar(128),
  primary key (transaction_id)
)
distkey (customer_id)
sortkey (event_date)
