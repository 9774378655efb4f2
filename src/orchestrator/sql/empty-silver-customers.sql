-- The silver customer snapshot contract as an empty table, for feeds that bring no entity files.
create table {{relation}} (
  customer_id varchar, name varchar, email varchar, birth_year integer, city varchar, country varchar,
  segment varchar, signup_date date, snapshot_date date
)
