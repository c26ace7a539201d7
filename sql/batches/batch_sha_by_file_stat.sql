-- The bytes' sha256 of a contact file staged before and unchanged on disk since (the same
-- device, inode, size, modification and change times), if any.
select file_sha256
from ops.batches
where file_stat = $file_stat
order by batch_id
limit 1
