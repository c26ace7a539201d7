-- Which rule of the revocation phrase file decided a message (optline.consent.keywords):
-- opt_out: word | all_channels | phrase; possible_revocation: the file's rule (not_interested,
-- who_is_this, ...) or a built-in one (opt_out_word_in_message, negated_opt_out). Null otherwise.
alter table staging.inbound_messages add column revocation_rule varchar
