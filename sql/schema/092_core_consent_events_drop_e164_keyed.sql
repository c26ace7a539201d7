-- The consent ledger is re-created keyed by number HMAC instead of the number itself, so
-- that deleting a person's data never touches it (pre-release: no deployment held events).
drop table if exists core.consent_events
