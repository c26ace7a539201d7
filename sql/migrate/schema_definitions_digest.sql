-- The digest of the macro and view files last applied (none: never applied).
select digest
from ops.schema_definitions
order by applied_at desc
limit 1
