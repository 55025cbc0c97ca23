-- Audit trail of money, leases, memberships, roles and invitations: who (claims, or the function or
-- service that acted) changed what, with old and new values. Append-only; owners and admins read it.

create table public.audit_log (
  id bigint generated always as identity,
  org_id uuid not null,
  table_name text not null,
  record_id text not null,
  action text not null,
  actor_user_id uuid,
  actor_role text,
  via text,
  request_id text,
  old_values jsonb,
  new_values jsonb,
  created_at timestamptz not null default now(),
  constraint audit_log_pkey primary key (id),
  constraint audit_log_action_check check (action in ('insert', 'update', 'delete'))
);
comment on table public.audit_log is 'Append-only record of changes to money, leases, memberships and roles. No foreign keys: it outlives what it describes.';
comment on column public.audit_log.actor_role is 'The org_role claim of the caller, else the database role (service_role, postgres for migrations and jobs).';
comment on column public.audit_log.via is 'The function that made the change for the caller (post_ledger_entry, run_rent_charges, ...), if any.';
comment on column public.audit_log.request_id is 'x-request-id of the API request, from request.headers.';
create index audit_log_org_id_created_at_idx on public.audit_log (org_id, created_at desc);

create trigger audit_log_before_update_reject before update or delete on public.audit_log
  for each row execute function private.tg_reject_change();
create trigger audit_log_before_truncate_reject before truncate on public.audit_log
  for each statement execute function private.tg_reject_change();

create or replace function private.audit_context(out actor_user_id uuid, out actor_role text, out via text, out request_id text)
language sql stable
set search_path = ''
as $$
  select
    private.current_user_id(),
    coalesce(private.current_org_role(), nullif(private.jwt_claims() ->> 'role', ''), session_user::text),
    nullif(current_setting('lintel.via', true), ''),
    nullif(current_setting('request.headers', true), '')::jsonb ->> 'x-request-id'
$$;

revoke execute on function private.audit_context() from public;

create or replace function private.tg_audit_row() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  -- Invitation token hashes stay out of the log.
  v_old jsonb := case when tg_op <> 'INSERT' then to_jsonb(old) - 'token_hash' end;
  v_new jsonb := case when tg_op <> 'DELETE' then to_jsonb(new) - 'token_hash' end;
  v_row jsonb := coalesce(v_new, v_old);
  c record := private.audit_context();
begin
  insert into public.audit_log (org_id, table_name, record_id, action, actor_user_id, actor_role, via, request_id, old_values, new_values)
  values (
    (case when tg_table_name = 'organizations' then v_row ->> 'id' else v_row ->> 'org_id' end)::uuid, tg_table_name,
    coalesce(v_row ->> 'id', v_row ->> 'user_id', (v_row ->> 'lease_id') || ':' || (v_row ->> 'resident_id')),
    lower(tg_op), c.actor_user_id, c.actor_role, c.via, c.request_id, v_old, v_new
  );
  return null;
end;
$$;
comment on function private.tg_audit_row() is 'Row-level audit for tables changed one row at a time (leases, memberships, payments, ...).';

-- More than 50 entries in one statement (the rent run) are audited as one summary row per org:
-- a full row per entry cost about 1 s of a 5.5 s run on 103k leases (rls.bench.ts).
create or replace function private.tg_audit_inserts() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  c record := private.audit_context();
begin
  if (select count(*) from (select 1 from new_rows limit 51) s) <= 50 then
    insert into public.audit_log (org_id, table_name, record_id, action, actor_user_id, actor_role, via, request_id, new_values)
    select n.org_id, tg_table_name, n.id::text, 'insert', c.actor_user_id, c.actor_role, c.via, c.request_id, to_jsonb(n)
    from new_rows n;
  else
    insert into public.audit_log (org_id, table_name, record_id, action, actor_user_id, actor_role, via, request_id, new_values)
    select k.org_id, tg_table_name, 'bulk:' || pg_catalog.pg_current_xact_id(), 'insert', c.actor_user_id, c.actor_role,
           c.via, c.request_id,
           jsonb_build_object('bulk', true, 'entries', sum(k.n), 'amount_minor', sum(k.amount),
                              'kinds', jsonb_object_agg(k.kind, k.n), 'created_at', now())
    from (
      select n.org_id, n.kind, count(*) as n, sum(n.amount_minor) as amount
      from new_rows n
      group by n.org_id, n.kind
    ) k
    group by k.org_id;
  end if;
  return null;
end;
$$;
comment on function private.tg_audit_inserts() is
  'Statement-level audit of ledger inserts: one row per entry for up to 50 entries, else one summary row per org (record_id bulk:<xact>; the entries are those of that org with the same created_at).';

create trigger ledger_entries_after_insert_audit after insert on public.ledger_entries
  referencing new table as new_rows for each statement execute function private.tg_audit_inserts();
create trigger payments_after_change_audit after insert or update or delete on public.payments
  for each row execute function private.tg_audit_row();
create trigger leases_after_insert_delete_audit after insert or delete on public.leases
  for each row execute function private.tg_audit_row();
-- The ledger trigger's balance updates are audited as ledger entries, not again here.
create trigger leases_after_update_audit after update on public.leases
  for each row
  when (old.balance_minor = new.balance_minor and (to_jsonb(old) - 'updated_at') is distinct from (to_jsonb(new) - 'updated_at'))
  execute function private.tg_audit_row();
create trigger lease_residents_after_change_audit after insert or update or delete on public.lease_residents
  for each row execute function private.tg_audit_row();
create trigger memberships_after_change_audit after insert or update or delete on public.memberships
  for each row execute function private.tg_audit_row();
create trigger invitations_after_change_audit after insert or update or delete on public.invitations
  for each row execute function private.tg_audit_row();
create trigger organizations_after_update_audit after update on public.organizations
  for each row
  when ((to_jsonb(old) - 'unit_count' - 'updated_at') is distinct from (to_jsonb(new) - 'unit_count' - 'updated_at'))
  execute function private.tg_audit_row();

alter table public.audit_log enable row level security;
revoke all on public.audit_log from anon;
revoke insert, update, delete, truncate on public.audit_log from authenticated, service_role;

create policy "audit_log: owners and admins can select own org" on public.audit_log
  for select to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin'])));
