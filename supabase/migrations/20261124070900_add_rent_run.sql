-- The rent run: posts each active lease's rent for the period containing as_of (prorated by
-- days for partial first and last months) and a late fee once the grace days have passed.
-- Set-based; idempotent through the rent:/late: keys; concurrent runs queue on an advisory lock.

create function private.rent_due_date(p_period_start date, p_due_day smallint, p_start_date date) returns date
language sql immutable
set search_path = ''
as $$
  -- A lease starting after the due day owes its first (partial) month from its first day.
  select greatest(p_period_start + (p_due_day - 1), p_start_date)
$$;

revoke execute on function private.rent_due_date(date, smallint, date) from public;

create function public.run_rent_charges(as_of date default current_date) returns jsonb
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
    and not exists (select 1 from public.ledger_entries x where x.org_id = l.org_id and x.idempotency_key = c.key)
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
    and as_of > private.rent_due_date(v_start, l.due_day, l.start_date) + l.grace_days
    and exists (select 1 from public.ledger_entries x where x.org_id = l.org_id and x.idempotency_key = 'rent:' || l.id || ':' || v_period)
    and not exists (select 1 from public.ledger_entries x where x.org_id = l.org_id and x.idempotency_key = 'late:' || l.id || ':' || v_period)
  on conflict (org_id, idempotency_key) do nothing;
  get diagnostics v_late = row_count;

  return jsonb_build_object('as_of', as_of, 'period', v_period, 'rent_entries', v_rent, 'late_fee_entries', v_late);
end;
$$;
comment on function public.run_rent_charges(date) is
  'Daily rent run (service role / scheduler): rent for the period containing as_of, prorated by days, and late fees after the grace days on leases with a balance. Running it again posts nothing new.';
revoke execute on function public.run_rent_charges(date) from public, anon, authenticated;
grant execute on function public.run_rent_charges(date) to service_role;
