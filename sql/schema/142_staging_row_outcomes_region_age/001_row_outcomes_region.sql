-- The region of the row's number as parsed (staging.phone_parses.region), kept with the
-- verdict so that the expectations read it without joining the batch's parses again.
alter table staging.row_outcomes add column if not exists region varchar
