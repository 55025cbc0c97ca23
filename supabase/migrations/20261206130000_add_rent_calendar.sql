-- Rent on each org's own calendar: an hourly job charges every org whose local date has moved on,
-- one transaction per org and day, recorded in rent_runs (retried, resumable, read live by owners).
set local lock_timeout = '5s';
set local statement_timeout = '1min';

-- The set-based run over every org in one statement and one transaction is replaced: one bad
-- row rolled back every company, and nothing ran it on a schedule. The seed and the tests now
-- charge through private.post_rent, one org at a time.
drop function public.run_rent_charges(date);

create table public.rent_runs (
  id uuid not null default gen_random_uuid(),
  org_id uuid not null,
  local_date date not null,
  status text not null default 'queued',
  source text not null default 'schedule',
  requested_by uuid,
  attempts integer not null default 0,
  rent_entries integer not null default 0,
  late_fee_entries integer not null default 0,
  charged_lease_ids uuid[] not null default '{}',
  error text,
  error_code text,
  queued_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  runner_pid integer,
  runner_started_at timestamptz,
  constraint rent_runs_pkey primary key (id),
  constraint rent_runs_org_id_local_date_key unique (org_id, local_date),
  constraint rent_runs_org_id_fkey foreign key (org_id) references public.organizations (id) on delete cascade,
  constraint rent_runs_requested_by_fkey foreign key (requested_by) references auth.users (id) on delete set null,
  constraint rent_runs_status_check check (status in ('queued', 'running', 'succeeded', 'failed')),
  constraint rent_runs_source_check check (source in ('schedule', 'user')),
  constraint rent_runs_attempts_check check (attempts >= 0)
);
comment on table public.rent_runs is
  'One rent run per org and local day: the rent falling due that day and late fees after the grace days, posted in one transaction. Written by the hourly job and run_rent_now; owners and admins read it.';
comment on column public.rent_runs.local_date is 'The org''s own date (organizations.timezone) the run charges as of; its month is the rent period.';
comment on column public.rent_runs.status is 'queued, running (a runner has claimed it; see runner_pid), succeeded, or failed (error says why; retried on the next hourly run).';
comment on column public.rent_runs.source is 'Who asked last: the hourly schedule, or a user (requested_by) through run_rent_now.';
comment on column public.rent_runs.attempts is 'Times a runner has started this run.';
comment on column public.rent_runs.rent_entries is 'Rent entries this run posted, over all its attempts.';
comment on column public.rent_runs.late_fee_entries is 'Late fees this run posted, over all its attempts.';
comment on column public.rent_runs.charged_lease_ids is 'Leases whose rent this run posted: what falls due that day (the hook for autopay on the due day).';
comment on column public.rent_runs.runner_pid is 'Backend of the runner that claimed it; with runner_started_at it tells a live runner from a dead one.';
-- Pending runs only (succeeded ones leave it): the runner's queue, and the "earlier day not done" probe.
create index rent_runs_org_id_local_date_idx on public.rent_runs (org_id, local_date) where status <> 'succeeded';
create index rent_runs_requested_by_idx on public.rent_runs (requested_by);

alter table public.rent_runs enable row level security;
revoke all on public.rent_runs from anon;
-- Runs are written by the functions below only.
revoke insert, update, delete, truncate on public.rent_runs from authenticated, service_role;

create policy "rent_runs: owners and admins can select own org" on public.rent_runs
  for select to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin'])));

-- A statement may say it is one bulk change (lintel.bulk, transaction-local): its org gets one
-- bulk_change message and one summary audit row whatever its size. Each org's rent run says so,
-- as the run over all orgs was bulk for every org: a 20-lease org's run otherwise spent a third of
-- its time on a message per entry and per lease balance (rent.bench.ts). The two trigger
-- functions of add_realtime_broadcasts and add_audit_log, with that condition added.
create or replace function private.tg_broadcast_finance() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_changed jsonb[];
  -- [{"new": row, "old": row}] (keys present as the operation has them) for a small statement
  v_rows jsonb;
  -- {org_id: count} for a bulk one
  v_orgs jsonb;
begin
  -- A transition table exists only for its own operation: DELETE has old_rows, the others
  -- new_rows. Bulk or not is decided on that one table.
  if tg_op = 'DELETE' then
    select array_agg(to_jsonb(o)) into v_changed from (select * from old_rows limit 51) o;
  else
    select array_agg(to_jsonb(n)) into v_changed from (select * from new_rows limit 51) n;
  end if;
  if v_changed is null then
    return null;
  elsif cardinality(v_changed) > 50 or current_setting('lintel.bulk', true) = 'on' then
    if tg_op = 'DELETE' then
      select jsonb_object_agg(s.org_id, s.n) into v_orgs from (select org_id, count(*) as n from old_rows group by org_id) s;
    else
      select jsonb_object_agg(s.org_id, s.n) into v_orgs from (select org_id, count(*) as n from new_rows group by org_id) s;
    end if;
  elsif tg_op = 'UPDATE' then
    select jsonb_agg(jsonb_build_object('new', to_jsonb(n), 'old', to_jsonb(o)))
    into v_rows from new_rows n join old_rows o on o.id = n.id;
  else
    select jsonb_agg(jsonb_build_object(case tg_op when 'DELETE' then 'old' else 'new' end, r))
    into v_rows from unnest(v_changed) r;
  end if;

  -- Like realtime.send, a failed broadcast is a warning: it never undoes the money write.
  begin
    if v_rows is not null then
      insert into realtime.messages (id, topic, extension, event, private, payload)
      select x.id, x.topic, 'broadcast', tg_op, true,
             jsonb_build_object('old_record', x.old_row, 'record', x.new_row, 'operation', tg_op,
                                'table', tg_table_name, 'schema', tg_table_schema, 'id', x.id)
      from (
        -- one message, with its own id, per row and topic
        select gen_random_uuid() as id, t.topic, m.new_row, m.old_row, m.ord, t.k
        from (
          select r -> 'new' as new_row, r -> 'old' as old_row, coalesce(r -> 'new', r -> 'old') as row_data, ord
          from jsonb_array_elements(v_rows) with ordinality e (r, ord)
        ) m
        cross join lateral (
          select 0 as k, 'org:' || (m.row_data ->> 'org_id') || ':finance' as topic
          union all
          -- a lease is its own lease; ledger entries and payments point at theirs
          select 1, 'resident:' || lr.resident_id
          from public.lease_residents lr
          where lr.lease_id = (case when tg_table_name = 'leases' then m.row_data ->> 'id' else m.row_data ->> 'lease_id' end)::uuid
        ) t
      ) x
      order by x.ord, x.k;
    elsif v_orgs is not null then
      insert into realtime.messages (id, topic, extension, event, private, payload)
      select s.id, 'org:' || s.org_id || ':finance', 'broadcast', 'bulk_change', true,
             jsonb_build_object('operation', tg_op, 'table', tg_table_name, 'schema', tg_table_schema,
                                'count', s.n, 'id', s.id)
      from (select gen_random_uuid() as id, key as org_id, value::bigint as n from jsonb_each_text(v_orgs)) s;
    end if;
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
  return null;
end;
$$;
comment on function private.tg_broadcast_finance() is
  'Publishes a statement''s changes to leases, ledger entries or payments: per row up to 50 rows, else (or when the transaction set lintel.bulk) one bulk_change per org.';

create or replace function private.tg_audit_inserts() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  c record := private.audit_context();
begin
  if (select count(*) from (select 1 from new_rows limit 51) s) <= 50 and current_setting('lintel.bulk', true) is distinct from 'on' then
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
  'Statement-level audit of ledger inserts: one row per entry for up to 50 entries, else (or when the transaction set lintel.bulk) one summary row per org (record_id bulk:<xact>; the entries are those of that org with the same created_at).';


-- Posts one org's rent and late fees as of its local date p_as_of, in the caller's transaction.
-- A lease's rent for the month is posted once the date reaches its due day (rent_due_date; a
-- lease that ends earlier in the month, on its last day), prorated by days; late fees after the
-- grace days on a balance still owed. The rent:/late: keys make every posting happen once.
-- A rerun must cost little: each lease's latest posted period (leases.*_posted_period, kept by
-- the ledger trigger) skips leases already charged and lets the others insert without on conflict.
create or replace function private.post_rent(
  p_org_id uuid, p_as_of date,
  out rent_entries integer, out late_fee_entries integer, out charged_lease_ids uuid[]
)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_start date := date_trunc('month', p_as_of)::date;
  v_end date := (date_trunc('month', p_as_of) + interval '1 month - 1 day')::date;
  v_days integer := v_end - v_start + 1;
  v_period text := to_char(p_as_of, 'YYYY-MM');
begin
  if p_org_id is null or p_as_of is null then
    raise exception 'an org and a date are required' using errcode = 'LT422';
  end if;
  perform set_config('lintel.via', 'rent_run', true);
  perform set_config('lintel.bulk', 'on', true);

  rent_entries := 0;
  late_fee_entries := 0;
  charged_lease_ids := '{}';
  -- One statement each for rent and late fees, so the ledger's statement triggers (balance,
  -- audit, broadcast) fire once per kind; each only when a lease may need it (most days none
  -- does, and a statement's triggers fire even when it inserts nothing). A lease that ended
  -- this month still owes its days.
  if exists (
    select 1 from public.leases l
    where l.org_id = p_org_id and l.status in ('active', 'ended')
      and l.rent_posted_period is distinct from v_start
      and l.start_date <= p_as_of and (l.end_date is null or l.end_date >= v_start)
      and (private.rent_due_date(v_start, l.due_day, l.start_date) <= p_as_of or coalesce(l.end_date, v_end) <= p_as_of)
  ) then
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
    where l.org_id = p_org_id
      and (l.status = 'active' or (l.status = 'ended' and l.end_date >= v_start))
      and l.start_date <= v_end
      and (l.end_date is null or l.end_date >= v_start)
      and least(private.rent_due_date(v_start, l.due_day, l.start_date), c.last_day) <= p_as_of
      and l.rent_posted_period is distinct from v_start
    order by l.id
  ),
  -- The lease's latest posted rent is for an earlier month: this month's is not there yet.
  plain as (
    insert into public.ledger_entries (org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key)
    select org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key
    from due where marker < v_start
    returning lease_id
  ),
  -- Never charged, or charged for a later month (a catch-up run): the key decides.
  checked as (
    insert into public.ledger_entries (org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key)
    select org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key
    from due where marker is null or marker > v_start
    on conflict (org_id, idempotency_key) do nothing
    returning lease_id
  )
  select count(*)::integer, coalesce(array_agg(x.lease_id order by x.lease_id), '{}')
  into rent_entries, charged_lease_ids
  from (select lease_id from plain union all select lease_id from checked) x;
  end if;

  -- Late fees, split the same way on their own marker: the leases that still owe once the grace
  -- days after a due date have passed. This period's, and last period's when its grace days ran
  -- into this month (due on the 27th with 5 days' grace: late from the 2nd), assessed in the
  -- week after they end (a daily run assesses it on the first late day).
  if not exists (
    select 1 from public.leases l
    where l.org_id = p_org_id and l.status in ('active', 'ended') and l.late_fee_minor > 0 and l.balance_minor > 0
  ) then
    perform set_config('lintel.bulk', '', true);
    return;
  end if;
  with periods (p_start, p_end, p_label, p_previous) as (
    values (v_start, v_end, v_period, false),
           ((v_start - interval '1 month')::date, v_start - 1, to_char(v_start - interval '1 month', 'YYYY-MM'), true)
  ),
  due as materialized (
    select l.org_id, l.id as lease_id, 'late_fee' as kind, l.late_fee_minor as amount_minor, l.currency,
           p_as_of as effective_date, greatest(l.start_date, per.p_start) as period_start,
           least(coalesce(l.end_date, per.p_end), per.p_end) as period_end,
           'Late fee ' || per.p_label as description, 'late:' || l.id || ':' || per.p_label as idempotency_key,
           l.late_fee_posted_period as marker, per.p_start
    from public.leases l
    cross join periods per
    cross join lateral (select private.rent_due_date(per.p_start, l.due_day, l.start_date) + l.grace_days as last_grace_day) g
    where l.org_id = p_org_id
      and (l.status = 'active' or (l.status = 'ended' and l.end_date >= per.p_start))
      and l.late_fee_minor > 0
      and l.balance_minor > 0
      and l.start_date <= least(p_as_of, per.p_end)
      and (l.end_date is null or l.end_date >= per.p_start)
      and p_as_of > g.last_grace_day
      and (not per.p_previous or (g.last_grace_day >= v_start - 1 and p_as_of <= g.last_grace_day + 7))
      and l.late_fee_posted_period is distinct from per.p_start
    order by l.id, per.p_start
  ),
  plain as (
    insert into public.ledger_entries (org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key)
    select org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key
    from due where marker < p_start
    returning 1
  ),
  checked as (
    insert into public.ledger_entries (org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key)
    select org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key
    from due where marker is null or marker > p_start
    on conflict (org_id, idempotency_key) do nothing
    returning 1
  )
  select (select count(*) from plain) + (select count(*) from checked) into late_fee_entries;
  perform set_config('lintel.bulk', '', true);
end;
$$;
comment on function private.post_rent(uuid, date) is
  'Posts one org''s rent due by p_as_of (its month, prorated) and late fees after the grace days, idempotently. Callers hold the org''s run lock (execute_rent_run).';
revoke execute on function private.post_rent(uuid, date) from public;

-- Every org whose local date has reached a day without a run gets one queued for each such day
-- (after an outage, up to 31 days back, so a month's rent due on a missed day is still posted).
-- p_org_ids limits it to some orgs (tests, an operator's backfill); the job passes none.
create or replace function private.queue_rent_runs(p_now timestamptz, p_org_ids uuid[] default null) returns integer
language sql
security definer
set search_path = ''
as $$
  with today as (
    select o.id as org_id, (p_now at time zone o.timezone)::date as local_date,
           (select max(r.local_date) from public.rent_runs r where r.org_id = o.id) as last_date
    from public.organizations o
    where p_org_ids is null or o.id = any (p_org_ids)
  ),
  queued as (
    insert into public.rent_runs (org_id, local_date)
    select t.org_id, t.local_date - i
    from today t
    cross join lateral generate_series(0, least(30, t.local_date - coalesce(t.last_date + 1, t.local_date))) i
    order by t.org_id, i desc
    on conflict (org_id, local_date) do nothing
    returning 1
  )
  select count(*)::integer from queued
$$;
comment on function private.queue_rent_runs(timestamptz, uuid[]) is 'Queues a rent run for each org (of p_org_ids, or all) and local day reached by p_now that has none yet (the hourly job).';
revoke execute on function private.queue_rent_runs(timestamptz, uuid[]) from public;

-- A runner is its job's backend while the job's statement runs: one that exited (a killed job),
-- or that sits idle (the job failed and the connection went back to a pool) holds nothing.
create or replace function private.rent_runner_alive(p_pid integer, p_started timestamptz) returns boolean
language sql stable
set search_path = ''
as $$
  select exists (
    select 1 from pg_catalog.pg_stat_activity a
    where a.pid = p_pid and a.backend_start = p_started and a.state is distinct from 'idle')
$$;
comment on function private.rent_runner_alive(integer, timestamptz) is
  'Whether the backend that claimed a run is still at it (a killed or failed job leaves its run "running" with a runner that is gone or idle).';
revoke execute on function private.rent_runner_alive(integer, timestamptz) from public;

-- Takes the next run to do and marks it running; the caller commits, so the claim is visible.
-- Queued runs, runs that failed before p_since (the retry), and runs whose runner died; an org's
-- days in date order, an earlier day not yet done holding the later ones back. p_from_org starts
-- the search at that org (the one just run): the runs before it are done, and scanning past them
-- at every claim made a day of 2,000 orgs' catch-up quadratic (rent.bench.ts).
create or replace function private.claim_rent_run(p_since timestamptz, p_org_ids uuid[] default null, p_from_org uuid default null) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  select r.id into v_id
  from public.rent_runs r
  where r.status <> 'succeeded'
    and (p_org_ids is null or r.org_id = any (p_org_ids))
    -- a range the cached (generic) plan can still start the index scan at
    and r.org_id >= coalesce(p_from_org, '00000000-0000-0000-0000-000000000000'::uuid)
    and (r.status = 'queued'
         or (r.status = 'failed' and r.finished_at < p_since)
         or (r.status = 'running' and not private.rent_runner_alive(r.runner_pid, r.runner_started_at)))
    and not exists (
      select 1 from public.rent_runs e
      where e.org_id = r.org_id and e.status <> 'succeeded' and e.local_date < r.local_date)
  order by r.org_id, r.local_date
  limit 1
  for update of r skip locked;
  if v_id is not null then
    -- The run's transactions commit without waiting for the disk: a crash may lose the last
    -- moment's claims and runs, each whole (its postings with its "succeeded"), and the next job
    -- redoes them; the job is not held up by one flush per org (a fifth of its time on our disks).
    perform set_config('synchronous_commit', 'off', true);
    update public.rent_runs
    set status = 'running', attempts = attempts + 1, started_at = clock_timestamp(), finished_at = null,
        runner_pid = pg_catalog.pg_backend_pid(),
        runner_started_at = (select a.backend_start from pg_catalog.pg_stat_activity a where a.pid = pg_catalog.pg_backend_pid())
    where id = v_id;
  end if;
  return v_id;
end;
$$;
comment on function private.claim_rent_run(timestamptz, uuid[], uuid) is 'Claims the next due rent run (of p_org_ids, or any org; from p_from_org on) for this backend; NULL when none is left.';
revoke execute on function private.claim_rent_run(timestamptz, uuid[], uuid) from public;

-- Does a claimed run in the caller's transaction and records the outcome; a failure is kept with
-- its error (the posting is rolled back to a savepoint) so the transaction still commits.
create or replace function private.execute_rent_run(p_run_id uuid) returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_run public.rent_runs;
  v_posted record;
  v_state text;
  v_message text;
begin
  select * into v_run from public.rent_runs where id = p_run_id for update;
  -- Another runner took it over (this one was thought dead), or it is gone with its org.
  if v_run.id is null or v_run.status <> 'running' or v_run.runner_pid is distinct from pg_catalog.pg_backend_pid() then
    return null;
  end if;
  -- One run per org at a time, whoever started it.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('lintel.rent_run'), pg_catalog.hashtext(v_run.org_id::text));
  -- A lease row held by a long transaction fails this org's run instead of stalling the job.
  perform set_config('lock_timeout', '10s', true);
  perform set_config('synchronous_commit', 'off', true);
  begin
    select * into v_posted from private.post_rent(v_run.org_id, v_run.local_date);
    update public.rent_runs
    set status = 'succeeded', rent_entries = rent_entries + v_posted.rent_entries,
        late_fee_entries = late_fee_entries + v_posted.late_fee_entries,
        charged_lease_ids = charged_lease_ids || v_posted.charged_lease_ids,
        error = null, error_code = null, finished_at = clock_timestamp()
    where id = p_run_id;
    return 'succeeded';
  exception when others then
    get stacked diagnostics v_state = returned_sqlstate, v_message = message_text;
    update public.rent_runs
    set status = 'failed', error = v_message, error_code = v_state, finished_at = clock_timestamp()
    where id = p_run_id;
    return 'failed';
  end;
end;
$$;
comment on function private.execute_rent_run(uuid) is 'Runs a rent run this backend claimed and records succeeded (with counts) or failed (with the error).';
revoke execute on function private.execute_rent_run(uuid) from public;

-- "Run now" for the caller's org: today's run (again, if it ran: leases added since are charged)
-- after any earlier day still pending, in this one transaction. Owners and admins, checked
-- against memberships as well as the claims.
create or replace function private.run_rent_now() returns public.rent_runs
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := private.current_user_id();
  v_org uuid := private.current_org_id();
  v_since timestamptz := clock_timestamp();
  v_today date;
  v_run uuid;
  v_result public.rent_runs;
begin
  if v_user is null then
    raise exception 'sign in first' using errcode = 'LT401';
  end if;
  if not private.has_org_role(array['owner', 'admin'])
     or not exists (select 1 from public.memberships m where m.org_id = v_org and m.user_id = v_user and m.role in ('owner', 'admin')) then
    raise exception 'only owners and admins run rent' using errcode = 'LT403';
  end if;
  select (now() at time zone o.timezone)::date into v_today from public.organizations o where o.id = v_org;
  insert into public.rent_runs as r (org_id, local_date, source, requested_by)
  values (v_org, v_today, 'user', v_user)
  on conflict (org_id, local_date) do update
    set source = 'user', requested_by = v_user, queued_at = now(),
        status = case when r.status = 'running' then r.status else 'queued' end;
  loop
    v_run := private.claim_rent_run(v_since, array[v_org]);
    exit when v_run is null;
    exit when private.execute_rent_run(v_run) = 'failed';
  end loop;
  select * into v_result from public.rent_runs where org_id = v_org and local_date = v_today;
  return v_result;
end;
$$;
revoke execute on function private.run_rent_now() from public;
grant execute on function private.run_rent_now() to authenticated;

create or replace function public.run_rent_now() returns public.rent_runs
language sql
set search_path = ''
as $$
  select private.run_rent_now()
$$;
comment on function public.run_rent_now() is
  'Runs rent now for the caller''s org (owner/admin): today''s run, after any earlier day still pending. Returns today''s run; its progress is in rent_runs.';
revoke execute on function public.run_rent_now() from public, anon, service_role;
grant execute on function public.run_rent_now() to authenticated;

-- Live progress for the run page, on the org's finance topic. Realtime authorizes whole topics,
-- and finance staff (managers, viewers too) join it while only owners and admins read runs: the
-- message carries the run's day, status and counts (all derivable from the ledger they read),
-- never its error or requester; the page refetches the row through RLS.
create or replace function private.tg_broadcast_rent_runs() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Like realtime.send, a failed broadcast is a warning: it never undoes the run.
  begin
    insert into realtime.messages (id, topic, extension, event, private, payload)
    select m.id, 'org:' || m.org_id || ':finance', 'broadcast', tg_op, true,
           jsonb_build_object('operation', tg_op, 'table', tg_table_name, 'schema', tg_table_schema, 'id', m.id,
                              'old_record', null, 'record', m.record)
    from (
      select gen_random_uuid() as id, n.org_id,
             jsonb_build_object('id', n.id, 'org_id', n.org_id, 'local_date', n.local_date, 'status', n.status,
                                'attempts', n.attempts, 'rent_entries', n.rent_entries,
                                'late_fee_entries', n.late_fee_entries, 'started_at', n.started_at,
                                'finished_at', n.finished_at) as record
      from new_rows n
    ) m;
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
  return null;
end;
$$;
comment on function private.tg_broadcast_rent_runs() is 'Publishes rent run changes (day, status, counts) on the org''s finance topic, one message per run.';
revoke execute on function private.tg_broadcast_rent_runs() from public;

create trigger rent_runs_after_insert_broadcast after insert on public.rent_runs
  referencing new table as new_rows for each statement execute function private.tg_broadcast_rent_runs();
create trigger rent_runs_after_update_broadcast after update on public.rent_runs
  referencing new table as new_rows for each statement execute function private.tg_broadcast_rent_runs();

-- Hourly, on the hour: the first run after an org's local midnight charges its new day. A DO
-- block as the job's only statement may commit as it goes (pg_cron runs it at top level), so
-- each claim and each org's run is its own transaction; a procedure would need the same but
-- could not pin its search_path (a SET clause forbids COMMIT inside it). Failed runs are retried
-- on the next hour's job, never twice in one.
select cron.schedule('rent-calendar', '0 * * * *', $job$
do $run$
declare
  v_since timestamptz := clock_timestamp();
  v_run uuid;
  v_from uuid;
begin
  perform private.queue_rent_runs(now());
  commit;
  loop
    v_run := private.claim_rent_run(v_since, null, v_from);
    -- past the last org: one more pass from the first, for anything left behind
    if v_run is null and v_from is not null then
      v_from := null;
      continue;
    end if;
    exit when v_run is null;
    commit;
    select org_id into v_from from public.rent_runs where id = v_run;
    perform private.execute_rent_run(v_run);
    commit;
  end loop;
end
$run$
$job$);
