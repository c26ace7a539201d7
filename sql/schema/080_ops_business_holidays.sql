-- The public holidays that are not business days on the FCC's opt-out clock: one calendar at a
-- time (OPTLINE_BUSINESS_HOLIDAYS, from the `holidays` package), written by
-- optline.consent.businessdays.store_calendar; read by the macro ops.business_days_between.
create table if not exists ops.business_holidays (
    calendar varchar not null,  -- US, US-CA, ...: the calendar the dates come from
    day      date not null,
    name     varchar not null
)
