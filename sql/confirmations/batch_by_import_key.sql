-- The web-confirmation batch that applied a file already (same bytes, same manifest settings).
select batch_id
from ops.confirmation_batches
where import_key = $import_key
