-- Whether this warehouse has its write guard yet (migration 071).
select count(*) > 0 as present
from duckdb_tables()
where database_name = current_database() and schema_name = 'ops' and table_name = 'write_guard'
