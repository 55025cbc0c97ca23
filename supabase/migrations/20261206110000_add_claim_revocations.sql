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
-- The claim helpers read it as the caller: a security definer probe cost twice as much per request
-- (tests/load/claims.bench.ts). No policies, so no RLS: the API roles may only select, never through
-- the API (private is not exposed), and only the trigger below writes.
revoke all on private.revoked_claims from public, anon, authenticated, service_role;
grant select on private.revoked_claims to authenticated, service_role, supabase_auth_admin;

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
    -- Claims that passed earlier in this transaction are checked again.
    perform set_config('lintel.claims_checked', '', true);
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
-- denies. One primary-key probe per transaction and token: the claims that passed are kept in the
-- transaction-local lintel.claims_checked, so the next helper call compares a string instead
-- (tests/load/claims.bench.ts: a probe costs ~6 µs, a comparison under 1 µs). A caller who could
-- set that setting could set the claims themselves, so it opens nothing new.
create or replace function private.claims_revoked(p_claims text) returns boolean
language plpgsql stable
set search_path = ''
as $$
declare
  v_claims jsonb := p_claims::jsonb;
begin
  if exists (
    select 1 from private.revoked_claims r
    where r.org_id = nullif(v_claims ->> 'org_id', '')::uuid and r.user_id = nullif(v_claims ->> 'sub', '')::uuid
      and r.role = v_claims ->> 'org_role'
  ) then
    return true;
  end if;
  perform set_config('lintel.claims_checked', p_claims, true);
  return false;
end;
$$;
comment on function private.claims_revoked(text) is
  'Whether these claims name an org role the user no longer holds; claims that pass are remembered for the rest of the transaction.';

create or replace function private.current_org_id() returns uuid
language plpgsql stable
set search_path = ''
as $$
declare
  v_text text := nullif(current_setting('request.jwt.claims', true), '');
  v_org uuid := nullif(v_text::jsonb ->> 'org_id', '')::uuid;
begin
  if v_org is not null and v_text is distinct from current_setting('lintel.claims_checked', true)
     and private.claims_revoked(v_text) then
    return null;
  end if;
  return v_org;
end;
$$;
comment on function private.current_org_id() is
  'The active org from the access token hook''s org_id claim; NULL when the user has no membership or the token claims a role since taken away.';

create or replace function private.current_org_role() returns text
language plpgsql stable
set search_path = ''
as $$
declare
  v_text text := nullif(current_setting('request.jwt.claims', true), '');
  v_role text := nullif(v_text::jsonb ->> 'org_role', '');
begin
  if v_role is not null and v_text is distinct from current_setting('lintel.claims_checked', true)
     and private.claims_revoked(v_text) then
    return null;
  end if;
  return v_role;
end;
$$;

create or replace function private.current_resident_id() returns uuid
language plpgsql stable
set search_path = ''
as $$
declare
  v_text text := nullif(current_setting('request.jwt.claims', true), '');
  v_resident uuid := nullif(v_text::jsonb ->> 'resident_id', '')::uuid;
begin
  if v_resident is not null and v_text is distinct from current_setting('lintel.claims_checked', true)
     and private.claims_revoked(v_text) then
    return null;
  end if;
  return v_resident;
end;
$$;

create or replace function private.has_org_role(p_roles text[]) returns boolean
language plpgsql stable
set search_path = ''
as $$
declare
  v_text text := nullif(current_setting('request.jwt.claims', true), '');
  v_role text := nullif(v_text::jsonb ->> 'org_role', '');
begin
  -- A role that would not count anyway needs no check.
  if v_role is null or not (v_role = any (p_roles)) then
    return false;
  end if;
  return coalesce(v_text = current_setting('lintel.claims_checked', true), false) or not private.claims_revoked(v_text);
end;
$$;
comment on function private.has_org_role(text[]) is 'True when the org_role claim is one of p_roles and still held.';

-- PostgREST's pre-request function (pgrst.db_pre_request): a stale token gets one clear answer
-- (401, code LT440) instead of empty lists, so the app can refresh the session and say why. Storage
-- and Realtime run no pre-request; their policies deny through the helpers above.
-- Which role the user holds in the org now, to tell "removed" from "role changed" (memberships'
-- policies hide the row from a refused token).
create or replace function private.held_role(p_org_id uuid, p_user_id uuid) returns text
language sql stable
security definer
set search_path = ''
as $$
  select m.role from public.memberships m where m.org_id = p_org_id and m.user_id = p_user_id
$$;

create or replace function private.check_request() returns void
language plpgsql stable
set search_path = ''
as $$
declare
  v_text text := nullif(current_setting('request.jwt.claims', true), '');
  v_claims jsonb := v_text::jsonb;
  v_role text;
begin
  -- anon, the service role and users without an org stop here. Two statements, not one `or`: an
  -- expression checks EXECUTE on every function in it before it runs, and anon may run no other.
  if v_claims ->> 'org_id' is null then
    return;
  end if;
  if not private.claims_revoked(v_text) then
    return;
  end if;
  v_role := private.held_role((v_claims ->> 'org_id')::uuid, (v_claims ->> 'sub')::uuid);
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
revoke execute on function private.claims_revoked(text), private.held_role(uuid, uuid), private.check_request() from public;
grant execute on function private.claims_revoked(text) to authenticated, service_role, supabase_auth_admin;
grant execute on function private.held_role(uuid, uuid) to authenticated, service_role;
grant execute on function private.check_request() to anon, authenticated, service_role;

alter role authenticator set pgrst.db_pre_request = 'private.check_request';
notify pgrst, 'reload config';
