-- Record a person's decision on one possible revocation (the primary key refuses a second).
insert into ops.revocation_decisions (batch_id, row_number, decision, decided_by, note, decided_at)
values ($batch_id, $row_number, $decision, $decided_by, $note, $decided_at)
