-- Org settings the manager app edits (country, locale; currency while no lease uses it) and the
-- two RPCs its account pages need: create an org with them, and list the caller's orgs.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

alter table public.organizations
  add column country text not null default 'US' constraint organizations_country_check check (country ~ '^[A-Z]{2}$'),
  add column locale text not null default 'en-US' constraint organizations_locale_check check (locale ~ '^[a-z]{2,3}(-[A-Z]{2})?$');
comment on column public.organizations.country is 'ISO 3166-1 alpha-2 code of the company''s country; the default for new properties.';
comment on column public.organizations.locale is 'BCP 47 tag (en-US, de-DE) for amounts and dates on screen and in emails.';

-- Owners and admins edit the profile, locale and money defaults; the currency too while no
-- lease has been written in it (every amount of a lease is in the org's currency).
grant update (currency, country, locale) on public.organizations to authenticated;

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
  -- A malformed code is left to organizations_currency_check to name.
  if tg_op = 'UPDATE' and new.currency is distinct from old.currency and new.currency ~ '^[A-Z]{3}$'
     and exists (select 1 from public.leases l where l.org_id = new.id) then
    raise exception 'the currency cannot change once leases are written in it'
      using errcode = 'LT409', hint = 'Leases and their ledger keep the currency they were created in.';
  end if;
  return new;
end;
$$;

drop function public.create_organization(text, text, text, text);
drop function private.create_organization(text, text, text, text);

create or replace function private.create_organization(
  p_name text, p_slug text, p_currency text, p_timezone text, p_country text, p_locale text
) returns public.organizations
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
  insert into public.organizations (name, slug, currency, timezone, country, locale)
  values (p_name, lower(p_slug), upper(coalesce(p_currency, 'USD')), coalesce(p_timezone, 'UTC'),
    upper(coalesce(p_country, 'US')), coalesce(p_locale, 'en-US'))
  returning * into v_org;
  insert into public.memberships (org_id, user_id, role) values (v_org.id, v_user, 'owner');
  insert into public.profiles (user_id, active_org_id) values (v_user, v_org.id)
  on conflict (user_id) do update set active_org_id = excluded.active_org_id;
  return v_org;
exception when unique_violation then
  raise exception 'the address % is taken', p_slug using errcode = 'LT409', hint = 'Choose another slug.';
end;
$$;

create or replace function public.create_organization(
  p_name text, p_slug text, p_currency text default 'USD', p_timezone text default 'UTC',
  p_country text default 'US', p_locale text default 'en-US'
) returns public.organizations
language sql
set search_path = ''
as $$
  select private.create_organization(p_name, p_slug, p_currency, p_timezone, p_country, p_locale)
$$;
comment on function public.create_organization(text, text, text, text, text, text) is
  'Creates an org; the caller becomes its owner and it becomes their active org (refresh the session for the claims).';

-- The org switcher lists every org the caller belongs to: RLS shows only the active one.
create or replace function private.my_organizations()
returns table (org_id uuid, name text, role text, is_active boolean)
language sql
stable
security definer
set search_path = ''
as $$
  select o.id, o.name, m.role, o.id = private.current_org_id()
  from public.memberships m
  join public.organizations o on o.id = m.org_id
  where m.user_id = private.current_user_id()
  order by o.name, o.id
$$;

create or replace function public.my_organizations()
returns table (org_id uuid, name text, role text, is_active boolean)
language sql
stable
set search_path = ''
as $$
  select * from private.my_organizations()
$$;
comment on function public.my_organizations() is
  'The caller''s orgs with their role in each and which one is active (the org switcher).';

revoke execute on function private.create_organization(text, text, text, text, text, text), private.my_organizations() from public;
grant execute on function private.create_organization(text, text, text, text, text, text), private.my_organizations() to authenticated;
revoke execute on function public.create_organization(text, text, text, text, text, text), public.my_organizations()
  from public, anon, service_role;
grant execute on function public.create_organization(text, text, text, text, text, text), public.my_organizations() to authenticated;
