-- The rent run's remaining cost was writes scattered over large indexes and lease rows that
-- moved to other pages on every balance update. Measured on 103k active leases and a 2M-entry
-- ledger (tests/load/rls.bench.ts).

-- A run updates every active lease's balance, twice when late fees follow the same day. A HOT
-- update needs room for the new version on the row's own page; at 80% full only a few rows per
-- page found it, and the rest rewrote every lease index.
alter table public.leases set (fillfactor = 50);

-- The time-ordered id default called a SQL function for every row, and its search_path
-- setting kept PostgreSQL from inlining it: about half a second of CPU per 100k entries. The
-- same expression as the column default is evaluated in place.
alter table public.ledger_entries alter column id set default
  encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
        placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
        from 1 for 6),
      52, 1), 53, 1),
    'hex')::uuid;
drop function private.uuid_v7();

-- A rerun that posts nothing probed the ledger's key index once per active lease. Each lease now
-- remembers the period the run last posted for it, kept by the balance trigger in the same
-- update, so a rerun skips those leases with no index probe. Only an exact match skips: a run
-- for another period (a late backfill) still goes through the unique key, which stays the
-- guarantee. Neither column is granted to any API role.
alter table public.leases
  add column rent_posted_period date,
  add column late_fee_posted_period date;
comment on column public.leases.rent_posted_period is 'First day of the month whose rent the rent run posted last for this lease; lets a rerun skip it.';
comment on column public.leases.late_fee_posted_period is 'First day of the month whose late fee the rent run posted last for this lease; lets a rerun skip it.';

create or replace function private.tg_apply_ledger_balance() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Statement-level: a rent run of 100k entries is one set-based update, in lease id order so
  -- concurrent postings lock leases in the same order.
  update public.leases l
  set balance_minor = l.balance_minor + s.total,
      rent_posted_period = coalesce(s.rent_period, l.rent_posted_period),
      late_fee_posted_period = coalesce(s.late_fee_period, l.late_fee_posted_period)
  from (
    select lease_id, sum(amount_minor) as total,
           max(date_trunc('month', period_start)::date) filter (where kind = 'rent') as rent_period,
           max(date_trunc('month', period_start)::date) filter (where kind = 'late_fee') as late_fee_period
    from new_entries
    group by lease_id
    order by lease_id
  ) s
  where l.id = s.lease_id;
  return null;
end;
$$;

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

  insert into public.ledger_entries as e (
    org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end,
    description, idempotency_key
  )
  select
    l.org_id, l.id, 'rent',
    greatest(1, round(l.rent_minor * (c.last_day - c.first_day + 1)::numeric / v_days))::bigint,
    l.currency, c.first_day, c.first_day, c.last_day,
    'Rent ' || v_period, c.key
  from public.leases l
  cross join lateral (
    select greatest(l.start_date, v_start) as first_day,
           least(coalesce(l.end_date, v_end), v_end) as last_day,
           'rent:' || l.id || ':' || v_period as key
  ) c
  where l.status = 'active'
    and l.start_date <= as_of
    and (l.end_date is null or l.end_date >= v_start)
    and l.rent_posted_period is distinct from v_start
  -- In key order, so index writes walk each org's part of the indexes once instead of
  -- touching a random page per row.
  order by l.org_id, l.id
  -- The unique key is the idempotency check: a posted row is skipped by an index probe
  -- before any heap write, cheaper than anti-joining the whole ledger.
  on conflict (org_id, idempotency_key) do nothing;
  get diagnostics v_rent = row_count;

  insert into public.ledger_entries as e (
    org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end,
    description, idempotency_key
  )
  select
    l.org_id, l.id, 'late_fee', l.late_fee_minor, l.currency, as_of,
    greatest(l.start_date, v_start), least(coalesce(l.end_date, v_end), v_end),
    'Late fee ' || v_period, 'late:' || l.id || ':' || v_period
  from public.leases l
  where l.status = 'active'
    and l.late_fee_minor > 0
    and l.balance_minor > 0
    -- the leases the statement above charged for this period
    and l.start_date <= as_of
    and (l.end_date is null or l.end_date >= v_start)
    and as_of > private.rent_due_date(v_start, l.due_day, l.start_date) + l.grace_days
    and l.late_fee_posted_period is distinct from v_start
  order by l.org_id, l.id
  on conflict (org_id, idempotency_key) do nothing;
  get diagnostics v_late = row_count;

  return jsonb_build_object('as_of', as_of, 'period', v_period, 'rent_entries', v_rent, 'late_fee_entries', v_late);
end;
$$;
