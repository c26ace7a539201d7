-- Messaging: what Optline sends (the outbox) and what it must remember to send only once.
create schema if not exists msg
