-- A consent event a person recorded by hand (`optline opt-out` / `opt-in`, the plugin's number
-- page; method `manual`): who, as the system knows them (the OS account of the CLI, the Airflow
-- user's name for the plugin). Null for the events the pipeline recorded from a file.
alter table core.consent_events add column recorded_by varchar
