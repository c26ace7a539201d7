-- What people were shown when their consent was asked, and why (16 CFR 310.5(a)(8)): one row per
-- distinct disclosure a contact import's manifest names (`disclosure:`, `purpose:`), written by
-- the merge of its first batch. Each opt-in event the import appends points at it
-- (core.consent_events.disclosure_id). No personal data (the manifest refuses a person's number
-- in it), so like the ledger it outlives a deletion.
-- key: (disclosure_id) (no constraint: DuckLake has none; merge/consent_disclosures_insert_new keeps it)
create table if not exists core.consent_disclosures (
    disclosure_id  varchar not null,  -- sha256 of the JSON of (text, version, url, purpose): one per disclosure
    text_sha256    varchar,           -- sha256 of the text's UTF-8 bytes; null when only a version or URL is given
    text           varchar,           -- the words shown, as the manifest gives them
    version        varchar,           -- the disclosure's version, as the business names it
    url            varchar,           -- the page that showed it
    purpose        varchar not null,  -- why consent was asked
    first_batch_id bigint not null,   -- the contact import that first recorded it
    first_seen_at  timestamptz not null
)
