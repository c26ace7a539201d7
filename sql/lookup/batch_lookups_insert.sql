-- What a batch's lookups cost (optline.lookup.step): one row per batch and kind.
insert into ops.batch_lookups (
    batch_id, kind, provider, numbers, looked_up, from_cache, unavailable, action, reason, recorded_at
)
values ($batch_id, $kind, $provider, $numbers, $looked_up, $from_cache, $unavailable, $action, $reason, $now)
