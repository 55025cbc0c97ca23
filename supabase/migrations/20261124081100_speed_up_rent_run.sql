-- Make the rent run fit its budget on a 2M-entry ledger. Measured (tests/load/rls.bench.ts): most
-- of its time went to random-page inserts into the ledger's uuid indexes, non-HOT rewrites of
-- every lease with per-row triggers for the balance, and anti-joins over the whole ledger.

create function private.uuid_v7() returns uuid
language sql volatile
set search_path = ''
as $$
  -- RFC 9562 version 7: 48-bit Unix milliseconds, then random bits. Time-ordered ids keep
  -- inserts at the right edge of the key indexes. PostgreSQL 18's uuidv7() is not on 15.
  select encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
        placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
        from 1 for 6),
      52, 1), 53, 1),
    'hex')::uuid
$$;
revoke execute on function private.uuid_v7() from public;

alter table public.ledger_entries alter column id set default private.uuid_v7();

-- Every rent run rewrites every active lease's balance: room on the page keeps those updates HOT.
alter table public.leases set (fillfactor = 80);

-- Balance updates come only from the ledger trigger, never together with an edit: they leave
-- updated_at alone and are audited as ledger entries, so they skip both per-row triggers.
drop trigger leases_before_update_touch on public.leases;
create trigger leases_before_update_touch before update on public.leases
  for each row when (old.balance_minor = new.balance_minor) execute function private.tg_touch_updated_at();
drop trigger leases_after_update_audit on public.leases;
create trigger leases_after_update_audit after update on public.leases
  for each row
  when (old.balance_minor = new.balance_minor and (to_jsonb(old) - 'updated_at') is distinct from (to_jsonb(new) - 'updated_at'))
  execute function private.tg_audit_row();

-- The unique idempotency key alone decides what is already posted (an index probe before any
-- heap write), and late fees go to the leases the same run charged, without reading the ledger.
create or replace function public.run_rent_charges(as_of date default current_date) returns jsonb
language plpgsql
security definer
set search_path = ''
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
  on conflict (org_id, idempotency_key) do nothing;
  get diagnostics v_late = row_count;

  return jsonb_build_object('as_of', as_of, 'period', v_period, 'rent_entries', v_rent, 'late_fee_entries', v_late);
end;
$$;
