-- Rows outside [min_value, max_value] (bounds exclusive when inclusive is false).
select *
from {{ model }}
where {{ column_name }} is not null
  and (
    false
    {% if min_value is defined and min_value is not none %}
    or {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
    {% endif %}
    {% if max_value is defined and max_value is not none %}
    or {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
    {% endif %}
  )
