-- Report files a deletion wrote again without the deleted people (rejects.csv, opt-out rows.csv,
-- inbound opt_outs.csv, confirmations summary.json).
alter table ops.deletions add column if not exists reports_rewritten bigint
