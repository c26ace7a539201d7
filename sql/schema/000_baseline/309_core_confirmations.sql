-- Double opt-in: the moment an imported (pending) membership was confirmed by the number
-- itself (a YES/START reply, a keyword text, or a web confirmation), which makes it active.
-- One row per membership: its first confirmation.
-- key: (list_id, contact_id, channel) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists core.confirmations (
    list_id      bigint not null,
    contact_id   bigint not null,
    channel      varchar not null,
    number_hmac  varchar not null,
    confirmed_at timestamptz not null,  -- when the number confirmed (message received, web time)
    method       varchar not null,      -- reply | keyword | web
    keyword      varchar,               -- reply/keyword: the word (YES, START, PIZZA)
    batch_id     bigint not null,       -- the inbound or web-confirmation batch
    row_number   bigint not null,
    recorded_at  timestamptz not null  -- the run's clock when applied
)
