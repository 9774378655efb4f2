-- Nothing lost, nothing counted twice: the fact holds exactly the transactions of silver. Returns the ids that
-- are in one and not the other.
select coalesce(s.transaction_id, f.transaction_id) as transaction_id,
       case when f.transaction_id is null then 'missing_in_fact' else 'not_in_silver' end as problem
from {{ ref('stg_transactions') }} as s
full outer join {{ ref('fact_transactions') }} as f on f.transaction_id = s.transaction_id
where s.transaction_id is null or f.transaction_id is null
