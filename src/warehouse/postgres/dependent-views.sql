-- Views built (directly or through other views) on the target, deepest last, with their definitions, so they
-- can be recreated in this order after the target is replaced.
with recursive dependents as (
  select view_class.oid, 1 as depth
  from pg_depend as dependency
  join pg_rewrite as rule on rule.oid = dependency.objid
  join pg_class as view_class on view_class.oid = rule.ev_class
  where dependency.refobjid = cast($target as regclass)
    and view_class.oid <> dependency.refobjid
    and view_class.relkind = 'v'
  union all
  select view_class.oid, dependents.depth + 1
  from dependents
  join pg_depend as dependency on dependency.refobjid = dependents.oid
  join pg_rewrite as rule on rule.oid = dependency.objid
  join pg_class as view_class on view_class.oid = rule.ev_class
  where view_class.oid <> dependents.oid
    and view_class.relkind = 'v'
    and dependents.depth < 50
)
select namespace.nspname as schema_name, view_class.relname as view_name,
  pg_get_viewdef(view_class.oid) as definition, max(dependents.depth) as depth
from dependents
join pg_class as view_class on view_class.oid = dependents.oid
join pg_namespace as namespace on namespace.oid = view_class.relnamespace
group by view_class.oid, namespace.nspname, view_class.relname
order by depth, schema_name, view_name
