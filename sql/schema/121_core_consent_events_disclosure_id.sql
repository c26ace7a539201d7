-- The disclosure an imported opt-in was given under (core.consent_disclosures); null for events
-- without one (opt-outs, keywords, touch-ups, imports whose manifest names none).
alter table core.consent_events add column if not exists disclosure_id varchar
