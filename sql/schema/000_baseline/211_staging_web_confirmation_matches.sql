-- Which pending memberships each valid web-confirmation row reached (its number on the
-- batch's channel, of its list when it names one). A membership reached by several rows is
-- confirmed by the earliest (confirmed_at, then row): nth = 1.
-- key: (batch_id, row_number, list_id, contact_id, channel) (no constraint: DuckLake has none;
-- the statements that write keep it)
create table if not exists staging.web_confirmation_matches (
    batch_id   bigint not null,
    row_number bigint not null,
    list_id    bigint not null,
    contact_id bigint not null,
    channel    varchar not null,
    nth        bigint not null  -- 1: this row confirms the membership
)
