-- Cover the three composite foreign keys the advisors found without an index (lint 0001), so
-- parent deletes and joins along them use an index.
create index invitations_org_id_resident_id_idx on public.invitations (org_id, resident_id);
create index lease_residents_org_id_lease_id_idx on public.lease_residents (org_id, lease_id);
-- Each entry is still reversed at most once; with org_id leading, the key also covers the
-- (org_id, reverses_entry_id) foreign key.
alter table public.ledger_entries
  drop constraint ledger_entries_reverses_entry_id_key,
  add constraint ledger_entries_org_id_reverses_entry_id_key unique (org_id, reverses_entry_id);
