-- The rent run posts each active lease's rent for the month of as_of (prorated) and late fees after
-- the grace days: set-based, idempotent through the rent:/late: keys, serialised by an advisory lock.

create or replace function private.rent_due_date(p_period_start date, p_due_day smallint, p_start_date date) returns date
language sql immutable
set search_path = ''
as $$
  -- A lease starting after the due day owes its first (partial) month from its first day.
  select greatest(p_period_start + (p_due_day - 1), p_start_date)
$$;

revoke execute on function private.rent_due_date(date, smallint, date) from public;

-- A rerun must cost little: each lease's latest posted period (leases.*_posted_period, kept by
-- the ledger trigger) skips leases already charged and lets the others insert without on conflict.
create or replace function public.run_rent_charges(as_of date default current_date) returns jsonb
language plpgsql
security definer
set search_path = ''
-- the run sorts every active lease: keep that sort in memory
set work_mem = '64MB'
as $$
declare
  v_start date := date_trunc('month', as_of)::date;
  v_end date := (date_trunc('month', as_of) + interval '1 month - 1 day')::date;
  v_days integer := v_end - v_start + 1;
  v_period text := to_char(as_of, 'YYYY-MM');
  v_rent integer;
  v_late integer;
begin
  if as_of is null then
    raise exception 'as_of is required' using errcode = 'LT422';
  end if;
  -- Two runs at once: the second waits, then finds everything posted (each statement below
  -- takes a fresh snapshot under READ COMMITTED).
  perform pg_advisory_xact_lock(hashtext('lintel.run_rent_charges'));
  perform set_config('lintel.via', 'run_rent_charges', true);

  -- One statement each for rent and late fees, so the ledger's statement triggers (balance,
  -- audit, broadcast) fire once per kind. `due` holds the entries to post, in key order so
  -- index writes walk each org's part of the indexes once instead of a random page per row.
  with due as materialized (
    select l.org_id, l.id as lease_id, 'rent' as kind,
           greatest(1, round(l.rent_minor * (c.last_day - c.first_day + 1)::numeric / v_days))::bigint as amount_minor,
           l.currency, c.first_day as effective_date, c.first_day as period_start, c.last_day as period_end,
           'Rent ' || v_period as description, 'rent:' || l.id || ':' || v_period as idempotency_key,
           l.rent_posted_period as marker
    from public.leases l
    cross join lateral (
      select greatest(l.start_date, v_start) as first_day,
             least(coalesce(l.end_date, v_end), v_end) as last_day
    ) c
    where l.status = 'active'
      and l.start_date <= as_of
      and (l.end_date is null or l.end_date >= v_start)
      and l.rent_posted_period is distinct from v_start
    order by l.org_id, l.id
  ),
  -- The lease's latest posted rent is for an earlier month: this month's is not there yet.
  plain as (
    insert into public.ledger_entries (org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key)
    select org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key
    from due where marker < v_start
    returning 1
  ),
  -- Never charged, or charged for a later month (this run is a backfill): the key decides.
  checked as (
    insert into public.ledger_entries (org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key)
    select org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key
    from due where marker is null or marker > v_start
    on conflict (org_id, idempotency_key) do nothing
    returning 1
  )
  select (select count(*) from plain) + (select count(*) from checked) into v_rent;

  -- Late fees, split the same way on their own marker: the leases charged this period that
  -- still owe once the grace days have passed.
  with due as materialized (
    select l.org_id, l.id as lease_id, 'late_fee' as kind, l.late_fee_minor as amount_minor, l.currency,
           as_of as effective_date, greatest(l.start_date, v_start) as period_start,
           least(coalesce(l.end_date, v_end), v_end) as period_end,
           'Late fee ' || v_period as description, 'late:' || l.id || ':' || v_period as idempotency_key,
           l.late_fee_posted_period as marker
    from public.leases l
    where l.status = 'active'
      and l.late_fee_minor > 0
      and l.balance_minor > 0
      and l.start_date <= as_of
      and (l.end_date is null or l.end_date >= v_start)
      and as_of > private.rent_due_date(v_start, l.due_day, l.start_date) + l.grace_days
      and l.late_fee_posted_period is distinct from v_start
    order by l.org_id, l.id
  ),
  plain as (
    insert into public.ledger_entries (org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key)
    select org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key
    from due where marker < v_start
    returning 1
  ),
  checked as (
    insert into public.ledger_entries (org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key)
    select org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key
    from due where marker is null or marker > v_start
    on conflict (org_id, idempotency_key) do nothing
    returning 1
  )
  select (select count(*) from plain) + (select count(*) from checked) into v_late;

  return jsonb_build_object('as_of', as_of, 'period', v_period, 'rent_entries', v_rent, 'late_fee_entries', v_late);
end;
$$;
comment on function public.run_rent_charges(date) is
  'Daily rent run (service role / scheduler): rent for the period containing as_of, prorated by days, and late fees after the grace days on leases with a balance. Running it again posts nothing new.';
revoke execute on function public.run_rent_charges(date) from public, anon, authenticated;
grant execute on function public.run_rent_charges(date) to service_role;
