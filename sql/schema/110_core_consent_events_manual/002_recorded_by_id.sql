-- The id behind recorded_by: the OS account again, or the Airflow user id (FAB: the numeric id).
alter table core.consent_events add column recorded_by_id varchar
