-- Forget the calendar held, before writing the configured one.
delete from ops.business_holidays
