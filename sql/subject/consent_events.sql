-- A data subject's export: every consent event of the number (the ledger names it by HMAC), each
-- opt-in with the disclosure it was given under (what was shown and why; null when none); a change
-- by hand with who recorded it and its note (optline.consent.manual).
select
    events.event_id,
    events.scope,
    events.kind,
    events.effective_at,
    events.source,
    events.method,
    events.contact_id,
    events.batch_id,
    events.row_number,
    events.dag_id,
    events.run_id,
    events.recorded_at,
    events.recorded_by,
    events.recorded_by_id,
    events.note,
    events.disclosure_id,
    disclosures.text as disclosure_text,
    disclosures.version as disclosure_version,
    disclosures.url as disclosure_url,
    disclosures.purpose as disclosure_purpose
from core.consent_events as events
left join core.consent_disclosures as disclosures on events.disclosure_id = disclosures.disclosure_id
where events.number_hmac = $number_hmac
order by events.event_id
