-- Rows for which the expression is not true (on a column: "<column> <expression>").
select *
from {{ model }}
where not ({% if column_name %}{{ column_name }} {% endif %}{{ expression }})
