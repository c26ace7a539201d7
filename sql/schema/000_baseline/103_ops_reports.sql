-- The report files written for people, per batch (HTML review report, rejects CSV).
-- key: (batch_id, kind) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists ops.reports (
    batch_id   bigint not null,
    kind       varchar not null,  -- review_html | rejects_csv
    path       varchar not null,
    written_at timestamptz not null default current_timestamp
)
