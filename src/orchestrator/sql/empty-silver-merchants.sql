-- The silver merchant snapshot contract as an empty table, for feeds that bring no entity files.
create table {{relation}} (
  merchant_id varchar, merchant_name varchar, mcc varchar, merchant_category varchar, city varchar,
  country varchar, snapshot_date date
)
