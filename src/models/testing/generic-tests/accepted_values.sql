-- Values outside the accepted list, with how often each occurs.
select {{ column_name }} as value_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
  and {{ column_name }} not in ({{ values_sql }})
group by {{ column_name }}
