-- Removing a member or changing their role takes effect on their next request, not when their
-- access token expires: the claim helpers refuse an org role the user no longer holds.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

-- A row says: this user no longer holds this role in this org. A token claiming it is stale
-- whenever it was issued, so no clock is compared; granting the role again deletes the row.
create table private.revoked_claims (
  org_id uuid not null,
  user_id uuid not null,
  role text not null,
  revoked_at timestamptz not null default now(),
  constraint revoked_claims_pkey primary key (org_id, user_id, role)
);
comment on table private.revoked_claims is
  'Org roles taken from a user (removed, or changed to another role) whose access tokens may still claim them. Read by the claim helpers on every request; rows older than the longest token life are pruned.';
comment on column private.revoked_claims.revoked_at is 'When the role was taken; after a week (Supabase''s longest JWT expiry) no token can still claim it.';
alter table private.revoked_claims enable row level security;
revoke all on private.revoked_claims from public, anon, authenticated, service_role;

create or replace function private.tg_revoke_claims() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op in ('UPDATE', 'DELETE') and (tg_op = 'DELETE' or old.role is distinct from new.role) then
    insert into private.revoked_claims (org_id, user_id, role) values (old.org_id, old.user_id, old.role)
    on conflict on constraint revoked_claims_pkey do update set revoked_at = excluded.revoked_at;
    delete from private.revoked_claims where revoked_at < now() - interval '8 days';
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    -- Holding the role again makes tokens that claim it true again.
    delete from private.revoked_claims where org_id = new.org_id and user_id = new.user_id and role = new.role;
  end if;
  return null;
end;
$$;
comment on function private.tg_revoke_claims() is 'Records the org role a membership change takes away, and forgets one it grants again.';
revoke execute on function private.tg_revoke_claims() from public;

create trigger memberships_after_change_revoke_claims after insert or update of role or delete on public.memberships
  for each row execute function private.tg_revoke_claims();

-- The claim helpers, now refusing a revoked org role: for such a token the org, role and resident
-- are NULL, so every policy (REST, Storage's on storage.objects, Realtime's on realtime.messages)
-- denies. Security definer to read the revocations (no role may); still PL/pgSQL reading the setting
-- themselves. The probe is one primary-key lookup in a table that is nearly always empty; its cost
-- per call and per request is measured by tests/load/claims.bench.ts.
create or replace function private.current_org_id() returns uuid
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  v_org uuid := nullif(v_claims ->> 'org_id', '')::uuid;
begin
  if v_org is not null and exists (
    select 1 from private.revoked_claims r
    where r.org_id = v_org and r.user_id = nullif(v_claims ->> 'sub', '')::uuid and r.role = v_claims ->> 'org_role'
  ) then
    return null;
  end if;
  return v_org;
end;
$$;
comment on function private.current_org_id() is
  'The active org from the access token hook''s org_id claim; NULL when the user has no membership or the token claims a role since taken away.';

create or replace function private.current_org_role() returns text
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  v_role text := nullif(v_claims ->> 'org_role', '');
begin
  if v_role is not null and exists (
    select 1 from private.revoked_claims r
    where r.org_id = nullif(v_claims ->> 'org_id', '')::uuid and r.user_id = nullif(v_claims ->> 'sub', '')::uuid and r.role = v_role
  ) then
    return null;
  end if;
  return v_role;
end;
$$;

create or replace function private.current_resident_id() returns uuid
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  v_resident uuid := nullif(v_claims ->> 'resident_id', '')::uuid;
begin
  if v_resident is not null and exists (
    select 1 from private.revoked_claims r
    where r.org_id = nullif(v_claims ->> 'org_id', '')::uuid and r.user_id = nullif(v_claims ->> 'sub', '')::uuid
      and r.role = v_claims ->> 'org_role'
  ) then
    return null;
  end if;
  return v_resident;
end;
$$;

create or replace function private.has_org_role(p_roles text[]) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  v_role text := nullif(v_claims ->> 'org_role', '');
begin
  -- A role that would not count anyway needs no lookup.
  if v_role is null or not (v_role = any (p_roles)) then
    return false;
  end if;
  return not exists (
    select 1 from private.revoked_claims r
    where r.org_id = nullif(v_claims ->> 'org_id', '')::uuid and r.user_id = nullif(v_claims ->> 'sub', '')::uuid and r.role = v_role
  );
end;
$$;
comment on function private.has_org_role(text[]) is 'True when the org_role claim is one of p_roles and still held.';

-- PostgREST's pre-request function (pgrst.db_pre_request): a stale token gets one clear answer
-- (401, code LT440) instead of empty lists, so the app can refresh the session and say why. Storage
-- and Realtime run no pre-request; their policies deny through the helpers above.
create or replace function private.check_request() returns void
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  v_org uuid := nullif(v_claims ->> 'org_id', '')::uuid;
  v_user uuid := nullif(v_claims ->> 'sub', '')::uuid;
  v_role text;
begin
  if v_org is null or not exists (
    select 1 from private.revoked_claims r where r.org_id = v_org and r.user_id = v_user and r.role = v_claims ->> 'org_role'
  ) then
    return;
  end if;
  select m.role into v_role from public.memberships m where m.org_id = v_org and m.user_id = v_user;
  -- PostgREST answers RAISE SQLSTATE 'PGRST' with the status and body given here.
  raise sqlstate 'PGRST' using
    message = json_build_object(
      'code', 'LT440',
      'message', case when v_role is null then 'you are no longer a member of this organization'
                      else 'your role in this organization has changed' end,
      'details', case when v_role is null then 'removed' else 'role_changed' end,
      'hint', 'Refresh the session: the next access token carries what you may do now.')::text,
    detail = json_build_object('status', 401, 'headers', json_build_object('WWW-Authenticate', 'Bearer error="invalid_token"'))::text;
end;
$$;
comment on function private.check_request() is
  'PostgREST pre-request: answers 401 LT440 when the access token claims an org role the user no longer holds.';

-- Every API role runs the pre-request, anon included: it may use the private schema, whose
-- functions are each revoked from PUBLIC and granted by name (tests/db/01-catalog.test.ts).
grant usage on schema private to anon;
revoke execute on function private.check_request() from public;
grant execute on function private.check_request() to anon, authenticated, service_role;

alter role authenticator set pgrst.db_pre_request = 'private.check_request';
notify pgrst, 'reload config';
