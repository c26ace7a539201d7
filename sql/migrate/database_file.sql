-- The file of the database this connection writes (for its file mode; in-memory: no row).
select path
from duckdb_databases()
where database_name = current_database() and path is not null
