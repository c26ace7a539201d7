-- What one import batch's lookups cost: numbers it needed answers for, asked of the provider,
-- answered from the cache, and left unanswered (provider down), with the policy's action then.
-- key: (batch_id, kind) (lookup/batch_lookups_delete + insert keep it)
create table if not exists ops.batch_lookups (
    batch_id    bigint not null,
    kind        varchar not null,  -- line_type
    provider    varchar not null,
    numbers     bigint not null,   -- distinct numbers the batch needed an answer for
    looked_up   bigint not null,   -- asked of the provider by this batch (what it cost)
    from_cache  bigint not null,   -- answered by ops.number_lookups without a request
    unavailable bigint not null,   -- no answer: the provider was down or refused
    action      varchar,           -- with unavailable > 0: wait | pass_unknown | hold
    reason      varchar,           -- why the provider did not answer (http 503, connection refused, ...)
    recorded_at timestamptz not null
)
