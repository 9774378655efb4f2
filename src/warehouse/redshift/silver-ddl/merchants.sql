-- staging.silver_merchants on Redshift, from the silver contract (src/silver/README.md). Small: on every node.
create table if not exists "staging"."silver_merchants" (
  merchant_id varchar(64) not null,
  merchant_name varchar(256),
  mcc varchar(4),
  merchant_category varchar(64),
  city varchar(128),
  country varchar(64),
  snapshot_date date not null,
  primary key (merchant_id, snapshot_date)
)
diststyle all
sortkey (snapshot_date)
