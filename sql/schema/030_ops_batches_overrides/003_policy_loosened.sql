-- The manifest's `policy_overrides` that loosen its policy (allowed by the policy's
-- `allow_loosening`), as [{"setting", "policy_value", "override_value"}]; [] when none.
alter table ops.batches add column if not exists policy_loosened json
