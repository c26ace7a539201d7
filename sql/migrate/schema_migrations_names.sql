select name
from ops.schema_migrations
