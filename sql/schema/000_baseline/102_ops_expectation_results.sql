-- One row per expectation run on a batch: what was expected, what was observed, whether it
-- held. Counts and shares only: never a phone number, name or date of birth.
create table if not exists ops.expectation_results (
    batch_id           bigint not null,
    suite_name         varchar not null,
    expectation_type   varchar not null,
    column_name        varchar,
    severity           varchar not null,  -- review | critical
    description        varchar not null,  -- what the rule means, for people
    success            boolean not null,
    observed_value     varchar,           -- a count, share or boundary, never a row value
    element_count      bigint,
    unexpected_count   bigint,
    unexpected_percent double,
    kwargs             json,              -- the expectation's settings after policy parameters
    validated_at       timestamptz not null default current_timestamp
)
