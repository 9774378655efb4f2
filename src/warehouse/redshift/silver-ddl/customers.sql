-- staging.silver_customers on Redshift, from the silver contract (src/silver/README.md).
create table if not exists "staging"."silver_customers" (
  customer_id varchar(64) not null,
  name varchar(256),
  email varchar(256),
  birth_year integer,
  city varchar(128),
  country varchar(64),
  segment varchar(64),
  signup_date date,
  snapshot_date date not null,
  primary key (customer_id, snapshot_date)
)
distkey (customer_id)
sortkey (snapshot_date)
