-- Record a person's decision on one possible revocation: once (a message already decided keeps
-- its decision; the caller checks first, in the same transaction, and says who decided it).
insert into ops.revocation_decisions (batch_id, row_number, decision, decided_by, note, decided_at)
select
    $batch_id as batch_id,
    $row_number as row_number,
    $decision as decision,
    $decided_by as decided_by,
    $note as note,
    $decided_at as decided_at
where not exists (
    select 1
    from ops.revocation_decisions as decided
    where decided.batch_id = $batch_id and decided.row_number = $row_number
)
