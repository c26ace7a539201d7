-- A manual event's note: the person's request and where its evidence is (a ticket, a recording),
-- kept with the event for good. Never personal data beyond that reference.
alter table core.consent_events add column note varchar
