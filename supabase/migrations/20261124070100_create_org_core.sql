-- Organizations (the isolation boundary), memberships (a user's role in an org) and profiles
-- (per user, incl. the active org the access token hook reads).

create table public.organizations (
  id uuid not null default gen_random_uuid(),
  name text not null,
  slug text not null,
  currency text not null default 'USD',
  timezone text not null default 'UTC',
  plan text not null default 'starter',
  unit_limit integer not null default 100,
  unit_count integer not null default 0,
  default_late_fee_minor bigint not null default 5000,
  default_grace_days integer not null default 5,
  reminder_days_before integer not null default 3,
  billing_email text,
  stripe_customer_id text,
  stripe_account_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint organizations_pkey primary key (id),
  constraint organizations_slug_key unique (slug),
  constraint organizations_name_check check (char_length(btrim(name)) between 1 and 200),
  constraint organizations_slug_check check (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  constraint organizations_currency_check check (currency ~ '^[A-Z]{3}$'),
  constraint organizations_plan_check check (plan in ('free', 'starter', 'growth', 'enterprise')),
  constraint organizations_unit_limit_check check (unit_limit >= 0),
  constraint organizations_unit_count_check check (unit_count >= 0),
  constraint organizations_default_late_fee_minor_check check (default_late_fee_minor >= 0),
  constraint organizations_default_grace_days_check check (default_grace_days between 0 and 31),
  constraint organizations_reminder_days_before_check check (reminder_days_before between 0 and 31),
  constraint organizations_billing_email_check check (billing_email is null or billing_email ~ '^[^@\s]+@[^@\s]+$')
);
comment on table public.organizations is 'A property-management company: the SaaS customer and the isolation boundary.';
comment on column public.organizations.currency is 'ISO 4217 code; every amount in this org is in its minor units.';
comment on column public.organizations.timezone is 'IANA zone the rent run and reminders use for "today".';
comment on column public.organizations.unit_limit is 'Units the plan allows; set by billing (service role), enforced on unit insert.';
comment on column public.organizations.unit_count is 'Units in the org, kept by a trigger on units; compared with unit_limit.';
comment on column public.organizations.default_late_fee_minor is 'Late fee a new lease starts with, minor units.';
comment on column public.organizations.default_grace_days is 'Days after the due date before a late fee, for new leases.';
comment on column public.organizations.reminder_days_before is 'Days before the due date the upcoming-rent reminder goes out.';

create trigger organizations_before_update_touch before update on public.organizations
  for each row execute function private.tg_touch_updated_at();

create or replace function private.tg_check_org() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- An unknown zone name makes AT TIME ZONE raise, which a CHECK cannot express.
  perform now() at time zone new.timezone;
  if tg_op = 'UPDATE' and private.current_org_role() is not null
     and new.billing_email is distinct from old.billing_email
     and private.current_org_role() <> 'owner' then
    raise exception 'only the owner manages billing' using errcode = 'LT403';
  end if;
  return new;
end;
$$;
create trigger organizations_before_write_check before insert or update on public.organizations
  for each row execute function private.tg_check_org();

create table public.memberships (
  org_id uuid not null,
  user_id uuid not null,
  role text not null,
  invitation_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint memberships_pkey primary key (org_id, user_id),
  constraint memberships_org_id_fkey foreign key (org_id) references public.organizations (id) on delete cascade,
  constraint memberships_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade,
  constraint memberships_role_check check (role in ('owner', 'admin', 'manager', 'maintenance', 'viewer', 'resident'))
);
comment on table public.memberships is 'A user''s role in an org. Written only through the member RPCs; an org always keeps an owner.';
create index memberships_user_id_idx on public.memberships (user_id);
create trigger memberships_before_update_touch before update on public.memberships
  for each row execute function private.tg_touch_updated_at();

create or replace function private.tg_keep_an_owner() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Lock the org so two owners demoting each other at once cannot both succeed.
  perform 1 from public.organizations where id = old.org_id for update;
  if not found then
    return null; -- the org itself is being deleted
  end if;
  if not exists (select 1 from public.memberships where org_id = old.org_id and role = 'owner') then
    raise exception 'an organization must keep at least one owner'
      using errcode = 'LT409', hint = 'Make another member owner first.';
  end if;
  return null;
end;
$$;
create trigger memberships_after_change_keep_owner after update of role or delete on public.memberships
  for each row when (old.role = 'owner') execute function private.tg_keep_an_owner();

create table public.profiles (
  user_id uuid not null,
  full_name text not null default '',
  avatar_url text,
  active_org_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint profiles_pkey primary key (user_id),
  constraint profiles_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade,
  constraint profiles_active_org_id_fkey foreign key (active_org_id) references public.organizations (id) on delete set null,
  constraint profiles_full_name_check check (char_length(full_name) <= 200)
);
comment on table public.profiles is 'One row per user: display name and the active org (chosen with set_active_org, read by the token hook).';
comment on column public.profiles.active_org_id is 'The org whose claims the next access token carries; only set through set_active_org / create_organization / accept_invitation.';
create index profiles_active_org_id_idx on public.profiles (active_org_id);
create trigger profiles_before_update_touch before update on public.profiles
  for each row execute function private.tg_touch_updated_at();

create or replace function private.tg_create_profile() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (user_id, full_name)
  values (new.id, coalesce(new.raw_user_meta_data ->> 'full_name', ''))
  on conflict (user_id) do nothing;
  return new;
end;
$$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.tg_create_profile();

-- RLS ---------------------------------------------------------------------------------------
alter table public.organizations enable row level security;
alter table public.memberships enable row level security;
alter table public.profiles enable row level security;

revoke all on public.organizations, public.memberships, public.profiles from anon;
-- Orgs are created by create_organization; plan, limits, currency and Stripe ids by billing.
revoke insert, update, delete on public.organizations from authenticated;
grant update (name, slug, timezone, default_late_fee_minor, default_grace_days, reminder_days_before, billing_email)
  on public.organizations to authenticated;
revoke insert, update, delete on public.memberships from authenticated;
revoke insert, delete, update on public.profiles from authenticated;
grant update (full_name, avatar_url) on public.profiles to authenticated;

create policy "organizations: members can select own org" on public.organizations
  for select to authenticated
  using (id = (select private.current_org_id()));
create policy "organizations: owners and admins can update own org" on public.organizations
  for update to authenticated
  using (id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin'])))
  with check (id = (select private.current_org_id()));

create policy "memberships: staff select own org, residents their own" on public.memberships
  for select to authenticated
  using (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance', 'viewer']))
      or user_id = (select private.current_user_id())
    )
  );

create policy "profiles: users select their own and staff their org's members" on public.profiles
  for select to authenticated
  using (
    user_id = (select private.current_user_id())
    or (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance', 'viewer']))
      and user_id in (select m.user_id from public.memberships m where m.org_id = (select private.current_org_id()))
    )
  );
create policy "profiles: users can update their own" on public.profiles
  for update to authenticated
  using (user_id = (select private.current_user_id()))
  with check (user_id = (select private.current_user_id()));

-- The access token hook runs as supabase_auth_admin and reads these (supabase-facts.md §1).
grant select on public.memberships, public.profiles to supabase_auth_admin;
create policy "memberships: auth admin can select for the token hook" on public.memberships
  for select to supabase_auth_admin using (true);
create policy "profiles: auth admin can select for the token hook" on public.profiles
  for select to supabase_auth_admin using (true);
