create sequence if not exists core.consent_event_id_seq start 1
