-- A web-confirmation batch's default country: its report tells numbers in other columns by it.
select default_country
from ops.confirmation_batches
where batch_id = $batch_id
