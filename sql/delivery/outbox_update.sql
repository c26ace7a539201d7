-- Each matched message's delivery status: the most advanced of its current status and the
-- file's reports (queued/accepted/scheduled < sending/receiving < sent < delivered/undelivered/
-- failed/received/canceled < read), then the newest (reported_at; a report without a time
-- counts as known at the application time), then the latest in file order. A late `sent`
-- never overwrites `delivered`. msg.outbox.status is not touched.
update msg.outbox
set
    delivery_status = winners.status,
    delivery_updated_at = winners.effective_at,
    updated_at = $applied_at
from (
    select
        outbox_id,
        status,
        effective_at
    from (
        select
            outbox_id,
            status,
            effective_at,
            sequence,
            row_number() over (
                partition by outbox_id
                order by
                    case status
                        when 'read' then 4
                        when 'delivered' then 3
                        when 'undelivered' then 3
                        when 'failed' then 3
                        when 'received' then 3
                        when 'canceled' then 3
                        when 'sent' then 2
                        when 'sending' then 1
                        when 'receiving' then 1
                        else 0
                    end desc,
                    effective_at desc nulls last,
                    sequence desc
            ) as choice
        from (
            select
                outbox_id,
                status,
                coalesce(reported_at, $applied_at) as effective_at,
                row_number as sequence
            from staging.delivery_lines
            where file_sha256 = $file_sha256 and outcome = 'applied'

            union all

            select
                outbox_id,
                delivery_status,
                delivery_updated_at,
                0
            from msg.outbox
            where
                delivery_status is not null
                and outbox_id in (
                    select applied.outbox_id
                    from staging.delivery_lines as applied
                    where applied.file_sha256 = $file_sha256 and applied.outcome = 'applied'
                )
        ) as reports
    ) as ranked
    where choice = 1 and sequence > 0
) as winners
where
    msg.outbox.outbox_id = winners.outbox_id
    and (
        msg.outbox.delivery_status is distinct from winners.status
        or msg.outbox.delivery_updated_at is distinct from winners.effective_at
    )
