-- staging.silver_cards on Redshift, from the silver contract (src/silver/README.md).
create table if not exists "staging"."silver_cards" (
  card_id varchar(64) not null,
  customer_id varchar(64),
  brand varchar(32),
  card_type varchar(16),
  card_token varchar(64),
  card_bin varchar(6),
  card_last4 varchar(4),
  issue_date date,
  expiry_date date,
  credit_limit decimal(18,2),
  status varchar(16),
  snapshot_date date not null,
  primary key (card_id, snapshot_date)
)
distkey (customer_id)
sortkey (snapshot_date)
