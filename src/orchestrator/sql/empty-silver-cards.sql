-- The silver card snapshot contract as an empty table, for feeds that bring no entity files.
create table {{relation}} (
  card_id varchar, customer_id varchar, brand varchar, card_type varchar, card_token varchar, card_bin varchar,
  card_last4 varchar, issue_date date, expiry_date date, credit_limit decimal(18, 2), status varchar,
  snapshot_date date
)
