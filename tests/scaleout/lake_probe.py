"""One "host" of the lake test: attach the warehouse lake (`optline.lake.connect`) as configured by
the environment (OPTLINE_WAREHOUSE_FORMAT=ducklake, OPTLINE_LAKE_CATALOG=postgres:...) and write
or read a probe table. Run as its own process (each process has its own DuckDB instance):

    python -m tests.scaleout.lake_probe write HOST ROWS     (prints the rows it committed)
    python -m tests.scaleout.lake_probe read                (prints the probe rows as JSON)
"""

from __future__ import annotations

import json
import sys

from optline import lake


def main(argv: list[str]) -> None:
    where = lake.location()
    assert where is not None and where.postgres_dsn, "this probe is for a lake with its catalog in PostgreSQL"
    conn = lake.connect(where, read_only=argv[0] == "read", settings={"threads": 1})
    if argv[0] == "write":
        host, rows = argv[1], int(argv[2])
        conn.execute("create table if not exists probe (host varchar not null, n integer not null)")
        conn.execute("begin")
        conn.execute("insert into probe select $host, range from range($rows)", {"host": host, "rows": rows})
        conn.execute("commit")
        print(json.dumps({"host": host, "rows": rows, "catalog_schema": where.metadata_schema,
                          "data_path": str(where.data_path)}))
    else:
        found = conn.execute("select host, count(*) from probe group by host order by host").fetchall()
        print(json.dumps({host: n for host, n in found}))


if __name__ == "__main__":
    main(sys.argv[1:])
