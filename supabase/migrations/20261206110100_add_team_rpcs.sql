-- The Team page and the invitation link: list the org's staff with their emails, show an invitation
-- to whoever holds its token, resend one with a fresh token, and no second pending invitation per email.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

-- Members' emails live in auth.users, which no API role reads: staff get them for their own org only.
create or replace function private.team_members()
returns table (user_id uuid, full_name text, email text, role text, joined_at timestamptz, last_sign_in_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_org uuid := private.current_org_id();
begin
  perform private.assert_member(array['owner', 'admin', 'manager', 'maintenance', 'viewer']);
  -- Residents' logins belong to the Residents page, not the team.
  return query
    select m.user_id, coalesce(p.full_name, ''), u.email::text, m.role, m.created_at, u.last_sign_in_at
    from public.memberships m
    join auth.users u on u.id = m.user_id
    left join public.profiles p on p.user_id = m.user_id
    where m.org_id = v_org and m.role <> 'resident'
    order by private.role_rank(m.role) desc, lower(coalesce(nullif(p.full_name, ''), u.email::text)), m.user_id;
end;
$$;

create or replace function public.team_members()
returns table (user_id uuid, full_name text, email text, role text, joined_at timestamptz, last_sign_in_at timestamptz)
language sql
stable
set search_path = ''
as $$
  select * from private.team_members()
$$;
comment on function public.team_members() is
  'The active org''s staff (not residents) with name, email, role, joined and last sign-in; for its staff.';

-- The invitation page shows where a link leads before anyone signs in: to the holder of the token
-- only (its hash is what is stored), so an unknown token answers no row, like a missing one.
create or replace function private.lookup_invitation(p_token text)
returns table (org_name text, email text, role text, status text, expires_at timestamptz, invited_by_name text)
language sql
stable
security definer
set search_path = ''
as $$
  select o.name, i.email, i.role,
         case when i.accepted_at is not null then 'accepted' when i.expires_at <= now() then 'expired' else 'pending' end,
         i.expires_at, nullif(p.full_name, '')
  from public.invitations i
  join public.organizations o on o.id = i.org_id
  left join public.profiles p on p.user_id = i.invited_by
  where i.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8'))
$$;

create or replace function public.lookup_invitation(p_token text)
returns table (org_name text, email text, role text, status text, expires_at timestamptz, invited_by_name text)
language sql
stable
set search_path = ''
as $$
  select * from private.lookup_invitation(p_token)
$$;
comment on function public.lookup_invitation(text) is
  'The org, role, email and status (pending, expired, accepted) of the invitation with this token; no row for any other token. Callable signed out.';

-- Resend: a new token (the old link stops working) and seven more days, for an unused invitation
-- of a role the caller could invite.
create or replace function private.resend_invitation(p_invitation_id uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid := private.current_org_id();
  v_caller_role text := private.assert_member(array['owner', 'admin', 'manager']);
  v_token text := encode(extensions.gen_random_bytes(32), 'hex');
  v_invitation public.invitations;
begin
  select * into v_invitation from public.invitations where org_id = v_org and id = p_invitation_id for update;
  if v_invitation.id is null then
    raise exception 'invitation not found' using errcode = 'LT404';
  end if;
  if v_invitation.accepted_at is not null then
    raise exception 'this invitation has already been accepted' using errcode = 'LT410';
  end if;
  if private.role_rank(v_invitation.role) > private.role_rank(v_caller_role) then
    raise exception 'you cannot invite someone with a role above your own' using errcode = 'LT403';
  end if;
  perform set_config('lintel.via', 'resend_invitation', true);
  update public.invitations
  set token_hash = sha256(convert_to(v_token, 'UTF8')), expires_at = now() + interval '7 days'
  where id = v_invitation.id
  returning * into v_invitation;
  return jsonb_build_object('invitation_id', v_invitation.id, 'token', v_token, 'expires_at', v_invitation.expires_at,
    'email', v_invitation.email, 'role', v_invitation.role);
end;
$$;

create or replace function public.resend_invitation(p_invitation_id uuid) returns jsonb
language sql
set search_path = ''
as $$
  select private.resend_invitation(p_invitation_id)
$$;
comment on function public.resend_invitation(uuid) is
  'Gives an unused invitation of the active org a new token and seven more days; returns the token for the email.';

-- As before, and an email with a pending invitation is not invited twice (resend that one instead).
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
  if exists (
    select 1 from public.invitations i
    where i.org_id = v_org and i.email = v_email and i.accepted_at is null and i.expires_at > now()
  ) then
    raise exception '% already has a pending invitation', v_email using errcode = 'LT409', hint = 'Resend that one instead.';
  end if;
  perform set_config('lintel.via', 'invite_member', true);
  insert into public.invitations (org_id, email, role, resident_id, token_hash, invited_by)
  values (v_org, v_email, p_role, case when p_role = 'resident' then p_resident_id end,
    sha256(convert_to(v_token, 'UTF8')), private.current_user_id())
  returning * into v_invitation;
  return jsonb_build_object('invitation_id', v_invitation.id, 'token', v_token, 'expires_at', v_invitation.expires_at);
end;
$$;

revoke execute on function private.team_members(), private.lookup_invitation(text), private.resend_invitation(uuid) from public;
grant execute on function private.team_members(), private.resend_invitation(uuid) to authenticated;
grant execute on function private.lookup_invitation(text) to anon, authenticated;

revoke execute on function public.team_members(), public.lookup_invitation(text), public.resend_invitation(uuid)
  from public, anon, service_role;
grant execute on function public.team_members(), public.resend_invitation(uuid) to authenticated;
grant execute on function public.lookup_invitation(text) to anon, authenticated;
