-- Every data row of every list touch-up file, as read, with lineage (batch, row, line) and
-- what became of it: applied, or rejected with a reason. Holds no phone number: the number's
-- HMAC (core.phone_numbers maps it) and a masked form for the report.
-- lines read = applied + rejected.
-- key: (batch_id, row_number) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists staging.touchup_rows (
    batch_id        bigint not null,
    row_number      bigint not null,   -- 1-based data row (header excluded)
    line_number     bigint not null,   -- physical line where the row starts
    read_issue      varchar,           -- blank_row | extra_fields, found while reading
    action_raw      varchar,
    action          varchar,           -- add_member | remove_member | add_tag | remove_tag | suspend | reactivate
    list_name       varchar,
    tag             varchar,
    phone_masked    varchar,           -- the number as written, masked but its last two digits
    number_hmac     varchar,           -- optline.phones.number_hmac(e164); null when it does not parse
    parse_error     varchar,
    opted_in_at_raw varchar,           -- opt-in evidence: when (as written)
    opted_in_at     timestamptz,       -- opted_in_at_raw read in the manifest's date order
    source          varchar,           -- opt-in evidence: where the consent was given
    outcome         varchar,           -- applied | rejected
    reason          varchar,           -- why rejected
    reason_detail   varchar
)
