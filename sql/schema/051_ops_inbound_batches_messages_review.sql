-- Messages of the batch left for a person to decide (outcome `review`: possible revocations).
-- Null for batches applied before possible revocations existed (none were held then).
alter table ops.inbound_batches add column messages_review bigint
