-- Quarantined records of the chosen ingest dates, optionally of one reason code ('' = all): the raw record as
-- silver wrote it (PAN masked), newest ingest date first.
select
  cast(ingest_date as varchar) as ingest_date,
  source_file,
  line,
  array_to_string(reason_codes, ', ') as reason_codes,
  raw_record
from quarantine
where ingest_date between cast($from as date) and cast($to as date)
  and ($reason = '' or list_contains(reason_codes, $reason))
order by ingest_date desc, source_file, line
limit cast($limit as integer)
