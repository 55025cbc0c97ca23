-- Lease RPCs for the manager app: create a lease with its residents, renew it, end it with a
-- move-out date; and the hourly hand-over that ends leases past their end date in org time.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

-- A renewal (or a lease drafted for an occupied unit) waits as a draft and becomes active when
-- the lease before it ends: one active lease per unit, and the rent run charges the old lease
-- through its last day.
alter table public.leases add column previous_lease_id uuid;
-- Every existing row has NULL here, so NOT VALID leaves nothing unchecked and takes no long lock.
alter table public.leases add constraint leases_org_id_previous_lease_id_fkey
  foreign key (org_id, previous_lease_id) references public.leases (org_id, id) on delete set null (previous_lease_id) not valid;
comment on column public.leases.previous_lease_id is
  'The lease this one follows on the same unit (a renewal); the draft becomes active when that lease ends.';
create index leases_org_id_previous_lease_id_idx on public.leases (org_id, previous_lease_id) where previous_lease_id is not null;

-- The org's date today, in its own timezone.
create or replace function private.org_today(p_org_id uuid) returns date
language sql
stable
set search_path = ''
as $$
  select (now() at time zone o.timezone)::date from public.organizations o where o.id = p_org_id
$$;

-- Ends the active leases whose end date has passed (org time) and activates the draft that
-- follows each one. The scheduler runs it hourly; the RPCs below run it for one unit first.
create or replace function private.roll_over_leases(p_unit_id uuid default null) returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ended uuid[];
begin
  perform set_config('lintel.via', 'roll_over_leases', true);
  with ended as (
    update public.leases l set status = 'ended'
    from public.organizations o
    where o.id = l.org_id and l.status = 'active' and l.end_date is not null
      and l.end_date < (now() at time zone o.timezone)::date
      and (p_unit_id is null or l.unit_id = p_unit_id)
    returning l.id
  )
  select coalesce(array_agg(id), '{}') into v_ended from ended;
  update public.leases n set status = 'active'
  where n.previous_lease_id = any (v_ended) and n.status = 'draft';
  return cardinality(v_ended);
end;
$$;
comment on function private.roll_over_leases(uuid) is
  'Ends active leases whose end date has passed in the org''s timezone and activates the renewal drafted to follow each.';

create or replace function private.create_lease(
  p_unit_id uuid, p_resident_ids uuid[], p_start_date date, p_end_date date, p_rent_minor bigint,
  p_deposit_minor bigint, p_due_day integer, p_grace_days integer, p_late_fee_minor bigint, p_status text
) returns public.leases
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_role text := private.assert_member(array['owner', 'admin', 'manager']);
  v_org uuid := private.current_org_id();
  v_ids uuid[];
  v_primary uuid;
  v_current public.leases;
  v_lease public.leases;
  v_found integer;
begin
  if p_status is null or p_status not in ('draft', 'active') then
    raise exception 'a new lease is a draft or active' using errcode = 'LT422', detail = 'field: status';
  end if;
  if p_start_date is null then
    raise exception 'the lease needs a start date' using errcode = 'LT422', detail = 'field: start_date';
  end if;
  select coalesce(array_agg(distinct x), '{}') into v_ids from unnest(p_resident_ids) x where x is not null;
  select x into v_primary from unnest(p_resident_ids) with ordinality t(x, n) where x is not null order by n limit 1;
  if cardinality(v_ids) = 0 then
    raise exception 'a lease needs at least one resident' using errcode = 'LT422', detail = 'field: resident_ids',
      hint = 'Choose a resident, or add a new one.';
  end if;
  -- The unit's row lock queues two leases written for the same unit at once.
  perform 1 from public.units u where u.org_id = v_org and u.id = p_unit_id for update;
  if not found then
    raise exception 'unit not found' using errcode = 'LT404', detail = 'field: unit_id', hint = 'Choose a unit of this company.';
  end if;
  select count(*) into v_found from public.residents r where r.org_id = v_org and r.id = any (v_ids);
  if v_found <> cardinality(v_ids) then
    raise exception 'resident not found' using errcode = 'LT404', detail = 'field: resident_ids', hint = 'Choose residents of this company.';
  end if;

  -- A lease left active past its end date is ended now, as the hourly hand-over would.
  perform private.roll_over_leases(p_unit_id);
  select * into v_current from public.leases l where l.org_id = v_org and l.unit_id = p_unit_id and l.status = 'active';
  if found and v_current.end_date is not null and v_current.end_date < p_start_date and p_status = 'active' then
    raise exception 'the unit is leased until %', v_current.end_date
      using errcode = 'LT409', detail = 'field: unit_id',
        hint = 'Save the new lease as a draft: it becomes active the day after the current one ends.';
  end if;
  if found and p_status = 'draft' and (v_current.end_date is null or v_current.end_date >= p_start_date) then
    raise exception 'the unit is leased until %', coalesce(v_current.end_date::text, 'further notice (month-to-month)')
      using errcode = 'LT409', detail = 'field: unit_id',
        hint = 'Start the new lease after the current one ends, or end the current lease first.';
  end if;
  if exists (select 1 from public.leases l where l.org_id = v_org and l.unit_id = p_unit_id and l.status = 'ended'
             and l.start_date <= coalesce(p_end_date, 'infinity'::date) and coalesce(l.end_date, 'infinity'::date) >= p_start_date) then
    raise exception 'the unit was leased to someone else on some of these dates'
      using errcode = 'LT409', detail = 'field: start_date', hint = 'Start the lease after the previous one ended.';
  end if;
  -- An active lease overlapping the current one is left to leases_unit_id_active_key to refuse.

  perform set_config('lintel.via', 'create_lease', true);
  insert into public.leases (org_id, unit_id, status, start_date, end_date, rent_minor, deposit_minor, due_day,
    grace_days, late_fee_minor, previous_lease_id)
  select v_org, p_unit_id, p_status, p_start_date, p_end_date, p_rent_minor, coalesce(p_deposit_minor, 0),
    coalesce(p_due_day, 1), coalesce(p_grace_days, o.default_grace_days), coalesce(p_late_fee_minor, o.default_late_fee_minor),
    case when p_status = 'draft' then v_current.id end
  from public.organizations o where o.id = v_org
  returning * into v_lease;
  -- The first resident named is the primary one.
  insert into public.lease_residents (org_id, lease_id, resident_id, is_primary)
  select v_org, v_lease.id, r.id, r.id = v_primary from unnest(v_ids) r(id);
  return v_lease;
end;
$$;

create or replace function public.create_lease(
  p_unit_id uuid, p_resident_ids uuid[], p_start_date date, p_end_date date default null, p_rent_minor bigint default null,
  p_deposit_minor bigint default 0, p_due_day integer default 1, p_grace_days integer default null,
  p_late_fee_minor bigint default null, p_status text default 'active'
) returns public.leases
language sql
set search_path = ''
as $$
  select private.create_lease(p_unit_id, p_resident_ids, p_start_date, p_end_date, p_rent_minor, p_deposit_minor,
    p_due_day, p_grace_days, p_late_fee_minor, p_status)
$$;
comment on function public.create_lease(uuid, uuid[], date, date, bigint, bigint, integer, integer, bigint, text) is
  'Writes a lease on a unit of the active org with its residents (the first is primary); grace days and late fee default from the org. A draft for an occupied unit starts after the current lease and follows it.';

create or replace function private.renew_lease(p_lease_id uuid, p_end_date date, p_rent_minor bigint) returns public.leases
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_role text := private.assert_member(array['owner', 'admin', 'manager']);
  v_org uuid := private.current_org_id();
  v_old public.leases;
  v_new public.leases;
begin
  select * into v_old from public.leases l where l.org_id = v_org and l.id = p_lease_id for update;
  if not found then
    raise exception 'lease not found' using errcode = 'LT404';
  end if;
  if v_old.status <> 'active' then
    raise exception 'only an active lease can be renewed' using errcode = 'LT409';
  end if;
  if v_old.end_date is null then
    raise exception 'a month-to-month lease has no end date to renew from'
      using errcode = 'LT409', hint = 'End it with a move-out date, or write a new lease.';
  end if;
  if exists (select 1 from public.leases n where n.org_id = v_org and n.previous_lease_id = v_old.id and n.status = 'draft') then
    raise exception 'this lease is already renewed' using errcode = 'LT409';
  end if;

  perform set_config('lintel.via', 'renew_lease', true);
  insert into public.leases (org_id, unit_id, status, start_date, end_date, rent_minor, deposit_minor, due_day,
    grace_days, late_fee_minor, previous_lease_id)
  values (v_org, v_old.unit_id, 'draft', v_old.end_date + 1, p_end_date, coalesce(p_rent_minor, v_old.rent_minor),
    v_old.deposit_minor, v_old.due_day, v_old.grace_days, v_old.late_fee_minor, v_old.id)
  returning * into v_new;
  insert into public.lease_residents (org_id, lease_id, resident_id, is_primary)
  select v_org, v_new.id, lr.resident_id, lr.is_primary
  from public.lease_residents lr where lr.org_id = v_org and lr.lease_id = v_old.id;
  -- A lease already past its end date hands over now; otherwise the hourly run does it then.
  perform private.roll_over_leases(v_old.unit_id);
  select * into v_new from public.leases l where l.id = v_new.id;
  return v_new;
end;
$$;

create or replace function public.renew_lease(p_lease_id uuid, p_end_date date default null, p_rent_minor bigint default null)
returns public.leases
language sql
set search_path = ''
as $$
  select private.renew_lease(p_lease_id, p_end_date, p_rent_minor)
$$;
comment on function public.renew_lease(uuid, date, bigint) is
  'Renews an active lease: the next term starts the day after its end date with the same residents and terms, at p_rent_minor (default: the same rent) until p_end_date (NULL: month-to-month). The old lease ends and the new one becomes active on that day.';

create or replace function private.end_lease(p_lease_id uuid, p_move_out date) returns public.leases
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_role text := private.assert_member(array['owner', 'admin', 'manager']);
  v_org uuid := private.current_org_id();
  v_lease public.leases;
begin
  select * into v_lease from public.leases l where l.org_id = v_org and l.id = p_lease_id for update;
  if not found then
    raise exception 'lease not found' using errcode = 'LT404';
  end if;
  if v_lease.status <> 'active' then
    raise exception 'only an active lease can be ended' using errcode = 'LT409';
  end if;
  if p_move_out is null or p_move_out <= v_lease.start_date then
    raise exception 'the move-out date must be after the lease starts (%)', v_lease.start_date
      using errcode = 'LT422', detail = 'field: move_out';
  end if;

  perform set_config('lintel.via', 'end_lease', true);
  -- Moving out cancels a renewal waiting to follow this lease.
  update public.leases n set status = 'terminated'
  where n.org_id = v_org and n.previous_lease_id = v_lease.id and n.status = 'draft';
  update public.leases l set end_date = p_move_out,
    status = case when p_move_out <= private.org_today(v_org) then 'ended' else 'active' end
  where l.org_id = v_org and l.id = v_lease.id
  returning * into v_lease;
  return v_lease;
end;
$$;

create or replace function public.end_lease(p_lease_id uuid, p_move_out date) returns public.leases
language sql
set search_path = ''
as $$
  select private.end_lease(p_lease_id, p_move_out)
$$;
comment on function public.end_lease(uuid, date) is
  'Ends an active lease on the move-out date (its last day): now when that date is today or earlier in the org''s timezone, else when it has passed.';

revoke execute on function private.org_today(uuid), private.roll_over_leases(uuid) from public;
revoke execute on function private.create_lease(uuid, uuid[], date, date, bigint, bigint, integer, integer, bigint, text),
  private.renew_lease(uuid, date, bigint), private.end_lease(uuid, date) from public;
grant execute on function private.create_lease(uuid, uuid[], date, date, bigint, bigint, integer, integer, bigint, text),
  private.renew_lease(uuid, date, bigint), private.end_lease(uuid, date) to authenticated;

revoke execute on function public.create_lease(uuid, uuid[], date, date, bigint, bigint, integer, integer, bigint, text),
  public.renew_lease(uuid, date, bigint), public.end_lease(uuid, date) from public, anon, service_role;
grant execute on function public.create_lease(uuid, uuid[], date, date, bigint, bigint, integer, integer, bigint, text),
  public.renew_lease(uuid, date, bigint), public.end_lease(uuid, date) to authenticated;

-- The hand-over runs hourly (pg_cron on Supabase, the stack's scheduler locally).
select cron.schedule('roll-over-leases', '7 * * * *', 'select private.roll_over_leases()');
