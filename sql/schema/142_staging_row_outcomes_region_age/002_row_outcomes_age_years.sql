-- The age the row states (its `age` column as an integer; null without one), kept with the
-- verdict so that the expectations read it without joining the staged rows again.
alter table staging.row_outcomes add column if not exists age_years integer
