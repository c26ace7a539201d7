-- The line-type and reassigned-number answers of the lookup providers (optline.lookup): the
-- cache an import or a welcome asks first. One row per number and kind, replaced when the
-- number is asked again (after the policy's max age). No phone number: the number's keyed HMAC.
-- key: (number_hmac, kind) (no constraint: DuckLake has none; lookup/answers_delete + insert keep it)
create table if not exists ops.number_lookups (
    number_hmac   varchar not null,  -- optline.phones.number_hmac(e164)
    kind          varchar not null,  -- line_type | reassigned
    provider      varchar not null,  -- twilio | fcc_rnd
    line_type     varchar,           -- line_type: Twilio's type (mobile, landline, fixedVoip, nonFixedVoip, ...)
    carrier_name  varchar,           -- line_type: the carrier, when the provider names one
    reassigned    varchar,           -- reassigned: yes | no | no_data
    verified_date date,              -- reassigned: the consent date asked about (LastVerifiedDate)
    error_code    varchar,           -- the provider's error code for this number (60601, ...), if any
    checked_at    timestamptz not null,  -- when the provider answered (re-asked after max_age_days)
    batch_id      bigint,            -- the import batch whose lookup asked it (null: a file of answers)
    source        varchar            -- fcc_rnd: the file the answer came from
)
