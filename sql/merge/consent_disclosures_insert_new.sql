-- The batch's disclosure (manifest `disclosure:` and `purpose:`), once: nothing when the manifest
-- names none ($disclosure_id null) or an earlier batch recorded the same one.
insert into core.consent_disclosures (
    disclosure_id, text_sha256, text, version, url, purpose, first_batch_id, first_seen_at
)
with

wanted as (
    select
        cast($disclosure_id as varchar) as disclosure_id,
        cast($disclosure_text_sha256 as varchar) as text_sha256,
        cast($disclosure_text as varchar) as text,
        cast($disclosure_version as varchar) as version,
        cast($disclosure_url as varchar) as url,
        cast($purpose as varchar) as purpose
)

select
    wanted.disclosure_id,
    wanted.text_sha256,
    wanted.text,
    wanted.version,
    wanted.url,
    wanted.purpose,
    $batch_id,
    current_timestamp
from wanted
where
    wanted.disclosure_id is not null
    and wanted.disclosure_id not in (select known.disclosure_id from core.consent_disclosures as known)
