-- The rent run's remaining per-entry work, measured on 103k active leases and a 2M-entry ledger
-- (tests/load/rls.bench.ts): a full audit row (to_jsonb of the entry) for each of 100k entries
-- was about 1 s of its 5.5 s, and the idempotency check a speculative insert per entry.
--
-- 1. A statement that inserts more than 50 ledger entries (the rent run, a bulk import) is
--    audited with one row per org: who, through which function and request, when, how many
--    entries of which kinds and their total. The entries themselves are the new values: the
--    ledger is append-only, so they can never differ from what was inserted, and they are found
--    from the audit row by org and created_at (both are the transaction's timestamp). Smaller
--    statements keep one audit row per entry, as before. This mirrors the Realtime rule for
--    money broadcasts (rows when few, one summary per org when many).
-- 2. leases.rent_posted_period / late_fee_posted_period now hold the latest period ever posted
--    (they held the last one posted, which a backfill could move backwards). A lease whose
--    marker is before the run's period cannot have that period's entry yet, so the run inserts
--    those without ON CONFLICT; leases without a marker, or marked later (a backfill), still go
--    through ON CONFLICT DO NOTHING. The unique key stays the guarantee either way: were the
--    marker ever wrong, the plain insert would fail on the key, never post twice.

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

create or replace function private.tg_apply_ledger_balance() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Statement-level: a rent run of 100k entries is one set-based update, in lease id order so
  -- concurrent postings lock leases in the same order. The period markers only move forward.
  update public.leases l
  set balance_minor = l.balance_minor + s.total,
      rent_posted_period = greatest(l.rent_posted_period, s.rent_period),
      late_fee_posted_period = greatest(l.late_fee_posted_period, s.late_fee_period)
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

comment on column public.leases.rent_posted_period is 'First day of the latest month whose rent has been posted for this lease; lets the rent run skip or plainly insert.';
comment on column public.leases.late_fee_posted_period is 'First day of the latest month whose late fee has been posted for this lease; lets the rent run skip or plainly insert.';

-- The markers from the ledger itself, so they hold for entries posted before they existed or
-- moved backwards by a backfill.
update public.leases l
set rent_posted_period = s.rent_period,
    late_fee_posted_period = s.late_fee_period
from (
  select e.lease_id,
         max(date_trunc('month', e.period_start)::date) filter (where e.kind = 'rent') as rent_period,
         max(date_trunc('month', e.period_start)::date) filter (where e.kind = 'late_fee') as late_fee_period
  from public.ledger_entries e
  where e.kind in ('rent', 'late_fee')
  group by e.lease_id
) s
where l.id = s.lease_id
  and (l.rent_posted_period is distinct from s.rent_period or l.late_fee_posted_period is distinct from s.late_fee_period);

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
