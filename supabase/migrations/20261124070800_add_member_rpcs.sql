-- Membership RPCs: create an org, switch org, invite and accept, remove a member, change a role.
-- Public wrappers are invokers; private definers check the caller against memberships, not the token.

create or replace function private.assert_member(p_roles text[]) returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_role text;
begin
  if private.current_user_id() is null then
    raise exception 'sign in first' using errcode = 'LT401';
  end if;
  -- The token may be up to an hour old: the memberships table is the authority.
  select m.role into v_role from public.memberships m
  where m.org_id = private.current_org_id() and m.user_id = private.current_user_id();
  if v_role is null or not (v_role = any (p_roles)) then
    raise exception 'your role in this organization may not do this' using errcode = 'LT403';
  end if;
  return v_role;
end;
$$;

create or replace function private.create_organization(p_name text, p_slug text, p_currency text, p_timezone text)
returns public.organizations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := private.current_user_id();
  v_org public.organizations;
begin
  if v_user is null then
    raise exception 'sign in first' using errcode = 'LT401';
  end if;
  insert into public.organizations (name, slug, currency, timezone)
  values (p_name, lower(p_slug), upper(coalesce(p_currency, 'USD')), coalesce(p_timezone, 'UTC'))
  returning * into v_org;
  insert into public.memberships (org_id, user_id, role) values (v_org.id, v_user, 'owner');
  insert into public.profiles (user_id, active_org_id) values (v_user, v_org.id)
  on conflict (user_id) do update set active_org_id = excluded.active_org_id;
  return v_org;
exception when unique_violation then
  raise exception 'the address % is taken', p_slug using errcode = 'LT409', hint = 'Choose another slug.';
end;
$$;

create or replace function public.create_organization(p_name text, p_slug text, p_currency text default 'USD', p_timezone text default 'UTC')
returns public.organizations
language sql
set search_path = ''
as $$
  select private.create_organization(p_name, p_slug, p_currency, p_timezone)
$$;
comment on function public.create_organization(text, text, text, text) is
  'Creates an org; the caller becomes its owner and it becomes their active org (refresh the session for the claims).';

create or replace function private.set_active_org(p_org_id uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_role text;
begin
  if private.current_user_id() is null then
    raise exception 'sign in first' using errcode = 'LT401';
  end if;
  select role into v_role from public.memberships where org_id = p_org_id and user_id = private.current_user_id();
  if v_role is null then
    raise exception 'organization not found' using errcode = 'LT404';
  end if;
  update public.profiles set active_org_id = p_org_id where user_id = private.current_user_id();
  return jsonb_build_object('org_id', p_org_id, 'org_role', v_role);
end;
$$;

create or replace function public.set_active_org(p_org_id uuid) returns jsonb
language sql
set search_path = ''
as $$
  select private.set_active_org(p_org_id)
$$;
comment on function public.set_active_org(uuid) is
  'Makes one of the caller''s orgs the active one; the next token refresh carries its claims.';

create or replace function private.invite_member(p_email text, p_role text, p_resident_id uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid := private.current_org_id();
  v_inviter_role text := private.assert_member(array['owner', 'admin', 'manager']);
  v_email text := lower(btrim(p_email));
  v_token text := encode(extensions.gen_random_bytes(32), 'hex');
  v_invitation public.invitations;
begin
  if p_role is null or private.role_rank(p_role) = 0 then
    raise exception 'unknown role %', p_role using errcode = 'LT422';
  end if;
  if private.role_rank(p_role) > private.role_rank(v_inviter_role) then
    raise exception 'you cannot invite someone with a role above your own' using errcode = 'LT403';
  end if;
  if p_role = 'resident' and not exists (
    select 1 from public.residents where id = p_resident_id and org_id = v_org and user_id is null
  ) then
    raise exception 'resident not found or already has a login' using errcode = 'LT404';
  end if;
  if exists (
    select 1 from public.memberships m join auth.users u on u.id = m.user_id
    where m.org_id = v_org and lower(u.email) = v_email
  ) then
    raise exception '% is already a member', v_email using errcode = 'LT409';
  end if;
  perform set_config('lintel.via', 'invite_member', true);
  insert into public.invitations (org_id, email, role, resident_id, token_hash, invited_by)
  values (v_org, v_email, p_role, case when p_role = 'resident' then p_resident_id end,
    sha256(convert_to(v_token, 'UTF8')), private.current_user_id())
  returning * into v_invitation;
  return jsonb_build_object('invitation_id', v_invitation.id, 'token', v_token, 'expires_at', v_invitation.expires_at);
end;
$$;

create or replace function public.invite_member(p_email text, p_role text, p_resident_id uuid default null) returns jsonb
language sql
set search_path = ''
as $$
  select private.invite_member(p_email, p_role, p_resident_id)
$$;
comment on function public.invite_member(text, text, uuid) is
  'Invites an email to the active org with a role no higher than the caller''s. Returns the one-time token (only its hash is stored) for the invitation email.';

create or replace function private.accept_invitation(p_token text) returns public.memberships
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := private.current_user_id();
  v_email text;
  v_invitation public.invitations;
  v_membership public.memberships;
begin
  if v_user is null then
    raise exception 'sign in first' using errcode = 'LT401';
  end if;
  select lower(email) into v_email from auth.users where id = v_user;
  select * into v_invitation from public.invitations
  where token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8'))
  for update;
  if v_invitation.id is null or v_invitation.email <> v_email then
    raise exception 'invitation not found' using errcode = 'LT404';
  end if;
  if v_invitation.accepted_at is not null or v_invitation.expires_at <= now() then
    raise exception 'this invitation has been used or has expired' using errcode = 'LT410', hint = 'Ask for a new invitation.';
  end if;
  perform set_config('lintel.via', 'accept_invitation', true);
  update public.invitations set accepted_at = now(), accepted_by = v_user where id = v_invitation.id;
  insert into public.memberships (org_id, user_id, role, invitation_id)
  values (v_invitation.org_id, v_user, v_invitation.role, v_invitation.id)
  returning * into v_membership;
  if v_invitation.role = 'resident' then
    update public.residents set user_id = v_user
    where id = v_invitation.resident_id and org_id = v_invitation.org_id and user_id is null;
    if not found then
      raise exception 'the resident already has a login' using errcode = 'LT409';
    end if;
  end if;
  insert into public.profiles (user_id, active_org_id) values (v_user, v_invitation.org_id)
  on conflict (user_id) do update set active_org_id = excluded.active_org_id;
  return v_membership;
exception when unique_violation then
  raise exception 'you are already a member of this organization' using errcode = 'LT409';
end;
$$;

create or replace function public.accept_invitation(p_token text) returns public.memberships
language sql
set search_path = ''
as $$
  select private.accept_invitation(p_token)
$$;
comment on function public.accept_invitation(text) is
  'Joins the org of a valid, unexpired, unused invitation addressed to the caller''s email; it becomes the active org.';

create or replace function private.remove_member(p_user_id uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid := private.current_org_id();
  v_caller_role text := private.assert_member(array['owner', 'admin']);
  v_target_role text;
begin
  perform 1 from public.organizations where id = v_org for update;
  select role into v_target_role from public.memberships where org_id = v_org and user_id = p_user_id;
  if v_target_role is null then
    raise exception 'member not found' using errcode = 'LT404';
  end if;
  if v_caller_role <> 'owner' and private.role_rank(v_target_role) >= private.role_rank(v_caller_role) then
    raise exception 'only an owner can remove an owner or admin' using errcode = 'LT403';
  end if;
  perform set_config('lintel.via', 'remove_member', true);
  delete from public.memberships where org_id = v_org and user_id = p_user_id;
  update public.residents set user_id = null where org_id = v_org and user_id = p_user_id;
  update public.profiles set active_org_id = null where user_id = p_user_id and active_org_id = v_org;
end;
$$;

create or replace function public.remove_member(p_user_id uuid) returns void
language sql
set search_path = ''
as $$
  select private.remove_member(p_user_id)
$$;
comment on function public.remove_member(uuid) is
  'Removes a member from the active org (owners anyone but the last owner; admins roles below admin).';

create or replace function private.change_member_role(p_user_id uuid, p_role text) returns public.memberships
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid := private.current_org_id();
  v_caller_role text := private.assert_member(array['owner', 'admin']);
  v_target_role text;
  v_membership public.memberships;
begin
  if p_role is null or private.role_rank(p_role) = 0 or p_role = 'resident' then
    raise exception 'unknown staff role %', p_role using errcode = 'LT422';
  end if;
  perform 1 from public.organizations where id = v_org for update;
  select role into v_target_role from public.memberships where org_id = v_org and user_id = p_user_id;
  if v_target_role is null then
    raise exception 'member not found' using errcode = 'LT404';
  end if;
  if v_target_role = 'resident' then
    raise exception 'a resident''s role is not changed; invite them as staff' using errcode = 'LT422';
  end if;
  if v_caller_role <> 'owner' and (v_target_role = 'owner' or p_role = 'owner') then
    raise exception 'only an owner can grant or take ownership' using errcode = 'LT403';
  end if;
  perform set_config('lintel.via', 'change_member_role', true);
  update public.memberships set role = p_role where org_id = v_org and user_id = p_user_id
  returning * into v_membership;
  return v_membership;
end;
$$;

create or replace function public.change_member_role(p_user_id uuid, p_role text) returns public.memberships
language sql
set search_path = ''
as $$
  select private.change_member_role(p_user_id, p_role)
$$;
comment on function public.change_member_role(uuid, text) is
  'Changes a member''s role in the active org; ownership only by an owner, and the org always keeps one.';

revoke execute on function private.assert_member(text[]), private.create_organization(text, text, text, text),
  private.set_active_org(uuid), private.invite_member(text, text, uuid), private.accept_invitation(text),
  private.remove_member(uuid), private.change_member_role(uuid, text) from public;
grant execute on function private.assert_member(text[]), private.create_organization(text, text, text, text),
  private.set_active_org(uuid), private.invite_member(text, text, uuid), private.accept_invitation(text),
  private.remove_member(uuid), private.change_member_role(uuid, text) to authenticated;

revoke execute on function public.create_organization(text, text, text, text), public.set_active_org(uuid),
  public.invite_member(text, text, uuid), public.accept_invitation(text), public.remove_member(uuid),
  public.change_member_role(uuid, text) from public, anon, service_role;
grant execute on function public.create_organization(text, text, text, text), public.set_active_org(uuid),
  public.invite_member(text, text, uuid), public.accept_invitation(text), public.remove_member(uuid),
  public.change_member_role(uuid, text) to authenticated;
