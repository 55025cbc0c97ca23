-- Rent reminders (upcoming, due today, overdue) by email, web push and in-app notification: what is
-- owed is planned here once per charge, kind, channel and resident; the rent-reminders function sends.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

-- A browser's push subscription (PushSubscription.toJSON()), filled by the resident portal.
create table public.push_subscriptions (
  id uuid not null default gen_random_uuid(),
  user_id uuid not null default private.current_user_id(),
  endpoint text not null,
  p256dh text not null,
  auth text not null,
  user_agent text,
  created_at timestamptz not null default now(),
  constraint push_subscriptions_pkey primary key (id),
  constraint push_subscriptions_user_id_endpoint_key unique (user_id, endpoint),
  constraint push_subscriptions_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade,
  constraint push_subscriptions_endpoint_check check (endpoint ~ '^https?://[^\s]+$' and char_length(endpoint) <= 2000),
  -- base64url of an uncompressed P-256 point (65 bytes) and of a 16-byte secret
  constraint push_subscriptions_p256dh_check check (p256dh ~ '^[A-Za-z0-9_-]{86,88}={0,2}$'),
  constraint push_subscriptions_auth_check check (auth ~ '^[A-Za-z0-9_-]{22,24}={0,2}$'),
  constraint push_subscriptions_user_agent_check check (char_length(user_agent) <= 500)
);
comment on table public.push_subscriptions is 'Web push subscriptions of a user''s browsers (not of an org): rent reminders go to each. Each user manages only their own.';
comment on column public.push_subscriptions.endpoint is 'The push service URL of the subscription; the function sends to https endpoints only.';
comment on column public.push_subscriptions.p256dh is 'The browser''s P-256 public key (keys.p256dh), base64url.';
comment on column public.push_subscriptions.auth is 'The browser''s authentication secret (keys.auth), base64url.';

alter table public.push_subscriptions enable row level security;
revoke all on public.push_subscriptions from anon;
create policy "push_subscriptions: users can select their own" on public.push_subscriptions
  for select to authenticated
  using (user_id = (select private.current_user_id()));
create policy "push_subscriptions: users can insert their own" on public.push_subscriptions
  for insert to authenticated
  with check (user_id = (select private.current_user_id()));
create policy "push_subscriptions: users can update their own" on public.push_subscriptions
  for update to authenticated
  using (user_id = (select private.current_user_id()))
  with check (user_id = (select private.current_user_id()));
create policy "push_subscriptions: users can delete their own" on public.push_subscriptions
  for delete to authenticated
  using (user_id = (select private.current_user_id()));

-- How a resident wants reminders; no row means the defaults (email and in-app, no push).
create table public.reminder_preferences (
  org_id uuid not null default private.current_org_id(),
  resident_id uuid not null default private.current_resident_id(),
  email boolean not null default true,
  push boolean not null default false,
  in_app boolean not null default true,
  updated_at timestamptz not null default now(),
  constraint reminder_preferences_pkey primary key (org_id, resident_id),
  constraint reminder_preferences_org_id_resident_id_fkey foreign key (org_id, resident_id) references public.residents (org_id, id) on delete cascade
);
comment on table public.reminder_preferences is 'A resident''s reminder channels in one org; without a row, email and in-app are on and push is off. The resident sets it.';
create trigger reminder_preferences_before_update_touch before update on public.reminder_preferences
  for each row execute function private.tg_touch_updated_at();

alter table public.reminder_preferences enable row level security;
revoke all on public.reminder_preferences from anon;
create policy "reminder_preferences: staff select own org, residents theirs" on public.reminder_preferences
  for select to authenticated
  using (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager']))
      or resident_id = (select private.current_resident_id())
    )
  );
create policy "reminder_preferences: residents can insert their own" on public.reminder_preferences
  for insert to authenticated
  with check (org_id = (select private.current_org_id()) and resident_id = (select private.current_resident_id()));
create policy "reminder_preferences: residents can update their own" on public.reminder_preferences
  for update to authenticated
  using (org_id = (select private.current_org_id()) and resident_id = (select private.current_resident_id()))
  with check (org_id = (select private.current_org_id()) and resident_id = (select private.current_resident_id()));
create policy "reminder_preferences: residents can delete their own" on public.reminder_preferences
  for delete to authenticated
  using (org_id = (select private.current_org_id()) and resident_id = (select private.current_resident_id()));

-- One row per reminder a resident is owed: it is planned once (the unique key), claimed before
-- it is sent and marked after, so a dead run is resumed without sending anything twice that was
-- recorded as sent.
create table public.reminders_sent (
  id uuid not null default gen_random_uuid(),
  org_id uuid not null,
  lease_id uuid not null,
  resident_id uuid not null,
  period_start date not null,
  kind text not null,
  channel text not null,
  status text not null default 'pending',
  due_date date not null,
  amount_minor bigint not null,
  currency text not null,
  attempts integer not null default 0,
  claim_token uuid,
  claimed_at timestamptz,
  sent_at timestamptz,
  error text,
  created_at timestamptz not null default now(),
  constraint reminders_sent_pkey primary key (id),
  -- <table>_<columns>_key would pass 63 bytes: once per charge (lease and period), kind, channel and resident.
  constraint reminders_sent_once_key unique (org_id, lease_id, period_start, kind, channel, resident_id),
  constraint reminders_sent_org_id_lease_id_fkey foreign key (org_id, lease_id) references public.leases (org_id, id) on delete cascade,
  constraint reminders_sent_org_id_resident_id_fkey foreign key (org_id, resident_id) references public.residents (org_id, id) on delete cascade,
  constraint reminders_sent_kind_check check (kind in ('upcoming', 'due', 'overdue')),
  constraint reminders_sent_channel_check check (channel in ('email', 'push', 'in_app')),
  constraint reminders_sent_status_check check (status in ('pending', 'sending', 'sent', 'failed', 'skipped')),
  constraint reminders_sent_period_start_check check (extract(day from period_start) = 1),
  constraint reminders_sent_currency_check check (currency ~ '^[A-Z]{3}$'),
  constraint reminders_sent_attempts_check check (attempts >= 0)
);
comment on table public.reminders_sent is
  'Each rent reminder owed to a resident (lease and period, kind, channel), at most one: pending, sending (claimed by a run), sent, failed (retried) or skipped.';
comment on column public.reminders_sent.period_start is 'First day of the rent period (month) the reminder is about.';
comment on column public.reminders_sent.kind is 'upcoming (reminder_days_before the due date), due (from the due date through the grace days), overdue (after them).';
comment on column public.reminders_sent.due_date is 'The day the period''s rent is due (or, for a lease ending before its due day, its last day).';
comment on column public.reminders_sent.amount_minor is 'Upcoming: the period''s rent; due and overdue: the lease balance when planned.';
comment on column public.reminders_sent.claim_token is 'Set by the run that claimed it; only that run may mark it sent or failed.';
create index reminders_sent_org_id_resident_id_idx on public.reminders_sent (org_id, resident_id);
create index reminders_sent_created_at_idx on public.reminders_sent (created_at) where status in ('pending', 'sending', 'failed');

alter table public.reminders_sent enable row level security;
revoke all on public.reminders_sent from anon;
revoke insert, update, delete, truncate on public.reminders_sent from authenticated, service_role;
create policy "reminders_sent: finance staff can select own org" on public.reminders_sent
  for select to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager', 'viewer'])));

-- Plans the reminders every org in its local morning (08:00 or later) owes as of p_now, once each:
--   upcoming  reminder_days_before the due date up to the day before (active leases), for the
--             period's rent when the balance will not already cover it;
--   due       from the due date through the grace days, while something is owed;
--   overdue   the two weeks after the grace days, while something is owed.
-- The due date is rent_due_date, or a lease's last day when it ends before it (when the rent
-- run posts it). A channel is planned when the resident's preferences have it on and it can
-- reach them: an email address, a login (in-app), a push subscription. p_org_ids limits it to
-- some orgs (tests, an operator's backfill); the hourly run passes none.
create or replace function private.plan_rent_reminders(p_now timestamptz, p_org_ids uuid[] default null) returns jsonb
language sql
security definer
set search_path = ''
as $$
  with orgs as (
    select o.id as org_id, o.reminder_days_before as days_before, (p_now at time zone o.timezone) as local_now
    from public.organizations o
    where extract(hour from (p_now at time zone o.timezone)) >= 8
      and (p_org_ids is null or o.id = any (p_org_ids))
  ),
  -- a reminder today is about last month (due late in it, still in grace), this month or next
  periods as (
    select o.org_id, o.days_before, o.local_now::date as today, s.start::date as period_start,
           (s.start + interval '1 month')::date - 1 as period_end,
           (s.start + interval '1 month')::date - s.start::date as days
    from orgs o
    cross join generate_series(-1, 1) m
    cross join lateral (select date_trunc('month', o.local_now) + make_interval(months => m) as start) s
  ),
  owed as (
    select p.org_id, p.days_before, p.today, p.period_start, l.id as lease_id, l.status, l.balance_minor, l.currency,
           d.due_date, d.due_date + l.grace_days as last_grace_day, least(d.due_date, c.last_day) as charge_date,
           greatest(1, round(l.rent_minor * (c.last_day - c.first_day + 1)::numeric / p.days))::bigint as rent_minor
    from periods p
    join public.leases l on l.org_id = p.org_id and l.status in ('active', 'ended')
      and l.start_date <= p.period_end and (l.end_date is null or l.end_date >= p.period_start)
      and (l.status = 'active' or l.end_date >= p.period_start)
    -- private.rent_due_date, inlined: a function with a search_path is called once per row
    cross join lateral (select greatest(p.period_start + (l.due_day - 1), l.start_date) as due_date) d
    cross join lateral (
      select greatest(l.start_date, p.period_start) as first_day, least(coalesce(l.end_date, p.period_end), p.period_end) as last_day
    ) c
  ),
  reminders as (
    select w.org_id, w.lease_id, w.period_start, 'upcoming' as kind, w.charge_date, w.rent_minor as amount_minor, w.currency
    from owed w
    where w.status = 'active' and w.days_before > 0
      and w.today >= w.charge_date - w.days_before and w.today < w.charge_date
      -- numeric: one lease's absurd balance must not fail every org's planning
      and w.balance_minor::numeric + w.rent_minor > 0
    union all
    select w.org_id, w.lease_id, w.period_start, 'due', w.charge_date, w.balance_minor, w.currency
    from owed w
    where w.today >= w.charge_date and w.today <= w.last_grace_day and w.balance_minor > 0
    union all
    select w.org_id, w.lease_id, w.period_start, 'overdue', w.charge_date, w.balance_minor, w.currency
    from owed w
    where w.today > w.last_grace_day and w.today <= w.last_grace_day + 14 and w.balance_minor > 0
  ),
  candidates as (
    select r.org_id, r.lease_id, res.id as resident_id, r.period_start, r.kind, ch.channel, r.charge_date, r.amount_minor, r.currency
    from reminders r
    join public.lease_residents lr on lr.org_id = r.org_id and lr.lease_id = r.lease_id
    join public.residents res on res.org_id = lr.org_id and res.id = lr.resident_id
    left join public.reminder_preferences pref on pref.org_id = res.org_id and pref.resident_id = res.id
    cross join lateral (
      select 'email' as channel where coalesce(pref.email, true) and res.email is not null
      union all
      select 'in_app' where coalesce(pref.in_app, true) and res.user_id is not null
      union all
      select 'push' where coalesce(pref.push, false) and res.user_id is not null
        and exists (select 1 from public.push_subscriptions s where s.user_id = res.user_id)
    ) ch
  ),
  planned as (
    insert into public.reminders_sent (org_id, lease_id, resident_id, period_start, kind, channel, due_date, amount_minor, currency)
    select c.org_id, c.lease_id, c.resident_id, c.period_start, c.kind, c.channel, c.charge_date, c.amount_minor, c.currency
    from candidates c
    -- planned in an earlier hour (most, after the first hour of a morning)
    where not exists (
      select 1 from public.reminders_sent s
      where s.org_id = c.org_id and s.lease_id = c.lease_id and s.period_start = c.period_start
        and s.kind = c.kind and s.channel = c.channel and s.resident_id = c.resident_id)
    order by c.org_id, c.lease_id
    on conflict on constraint reminders_sent_once_key do nothing
    returning 1
  )
  -- since: the database's clock at planning, the fence claim_rent_reminders retries failures before
  select jsonb_build_object('planned', (select count(*) from planned), 'since', now())
$$;
comment on function private.plan_rent_reminders(timestamptz, uuid[]) is
  'Plans the rent reminders owed as of p_now (orgs in their local morning), each at most once: {planned, since}.';
revoke execute on function private.plan_rent_reminders(timestamptz, uuid[]) from public;
grant execute on function private.plan_rent_reminders(timestamptz, uuid[]) to service_role;

-- Claims up to p_limit reminders to deliver: pending ones, failed ones (fewer than 5 attempts)
-- that failed before p_since (this run's start), and sending ones whose run has been silent for
-- 10 minutes (it died between its claim and its report: this is the retry that may repeat a
-- send). Returns what a message needs, as JSON.
create or replace function private.claim_rent_reminders(p_since timestamptz, p_limit integer, p_org_ids uuid[] default null) returns jsonb
language sql
security definer
set search_path = ''
as $$
  with picked as (
    select r.id from public.reminders_sent r
    where r.status in ('pending', 'sending', 'failed')
      and (p_org_ids is null or r.org_id = any (p_org_ids))
      and (r.status = 'pending'
           or (r.status = 'failed' and r.attempts < 5 and r.claimed_at < p_since)
           or (r.status = 'sending' and r.claimed_at < now() - interval '10 minutes'))
    order by r.created_at, r.id
    limit least(greatest(p_limit, 1), 500)
    for update skip locked
  ),
  claimed as (
    update public.reminders_sent r
    set status = 'sending', attempts = r.attempts + 1, claim_token = gen_random_uuid(), claimed_at = now()
    from picked
    where r.id = picked.id
    returning r.*
  )
  select coalesce(jsonb_agg(jsonb_build_object(
    'id', c.id, 'token', c.claim_token, 'attempt', c.attempts, 'kind', c.kind, 'channel', c.channel,
    'period_start', c.period_start, 'due_date', c.due_date, 'amount_minor', c.amount_minor, 'currency', c.currency,
    'org', jsonb_build_object('id', o.id, 'name', o.name, 'locale', o.locale),
    'lease', jsonb_build_object('id', l.id, 'unit', u.label, 'property', p.name),
    'resident', jsonb_build_object('id', res.id, 'name', res.full_name, 'email', res.email, 'user_id', res.user_id),
    'push', case when c.channel = 'push' then coalesce((
      select jsonb_agg(jsonb_build_object('endpoint', s.endpoint, 'p256dh', s.p256dh, 'auth', s.auth) order by s.created_at)
      from public.push_subscriptions s where s.user_id = res.user_id), '[]') end
  ) order by c.created_at, c.id), '[]')
  from claimed c
  join public.organizations o on o.id = c.org_id
  join public.leases l on l.org_id = c.org_id and l.id = c.lease_id
  join public.units u on u.org_id = l.org_id and u.id = l.unit_id
  join public.properties p on p.org_id = u.org_id and p.id = u.property_id
  join public.residents res on res.org_id = c.org_id and res.id = c.resident_id
$$;
comment on function private.claim_rent_reminders(timestamptz, integer, uuid[]) is 'Claims reminders to deliver (status sending, a new claim token) and returns their content as a JSON array.';
revoke execute on function private.claim_rent_reminders(timestamptz, integer, uuid[]) from public;
grant execute on function private.claim_rent_reminders(timestamptz, integer, uuid[]) to service_role;

-- Records what the run delivered: [{id, token, ok, error?, skipped?, gone?: [endpoint], notification?:
-- {title, body, link}}]. Only the claim's own token counts (a slower run that lost its claim changes
-- nothing). An in-app reminder is its notification, inserted in this same transaction as the mark:
-- in-app is exactly once. Push endpoints the push service called gone are forgotten.
create or replace function private.complete_rent_reminders(p_results jsonb) returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_done integer;
begin
  with results as (
    select x.id, x.token, x.ok, x.error, coalesce(x.skipped, false) as skipped, x.gone, x.notification
    from jsonb_to_recordset(p_results) as x (id uuid, token uuid, ok boolean, error text, skipped boolean, gone text[], notification jsonb)
  ),
  marked as (
    update public.reminders_sent r
    set status = case when res.skipped then 'skipped' when res.ok then 'sent' else 'failed' end,
        sent_at = case when res.ok and not res.skipped then now() end,
        error = case when res.ok then null else left(coalesce(res.error, 'failed'), 1000) end
    from results res
    where r.id = res.id and r.claim_token = res.token and r.status = 'sending'
    returning r.*, res.gone, res.notification, res.ok, res.skipped
  ),
  notified as (
    insert into public.notifications (org_id, user_id, kind, title, body, link, data)
    select m.org_id, p.user_id, 'rent.' || m.kind, left(m.notification ->> 'title', 200), coalesce(m.notification ->> 'body', ''),
           m.notification ->> 'link',
           jsonb_build_object('lease_id', m.lease_id, 'period_start', m.period_start, 'due_date', m.due_date,
                              'amount_minor', m.amount_minor, 'currency', m.currency, 'reminder_id', m.id)
    from marked m
    join public.residents p on p.org_id = m.org_id and p.id = m.resident_id
    where m.channel = 'in_app' and m.ok and not m.skipped and p.user_id is not null
    returning 1
  ),
  forgotten as (
    delete from public.push_subscriptions s
    using marked m, public.residents p
    where m.gone is not null and p.org_id = m.org_id and p.id = m.resident_id
      and s.user_id = p.user_id and s.endpoint = any (m.gone)
    returning 1
  )
  select count(*)::integer into v_done from marked;
  return v_done;
end;
$$;
comment on function private.complete_rent_reminders(jsonb) is 'Marks claimed reminders sent, failed or skipped; inserts in-app notifications in the same transaction; forgets gone push endpoints.';
revoke execute on function private.complete_rent_reminders(jsonb) from public;
grant execute on function private.complete_rent_reminders(jsonb) to service_role;

-- The RPCs the rent-reminders function calls with the service role.
create or replace function public.plan_rent_reminders(p_now timestamptz default now(), p_org_ids uuid[] default null) returns jsonb
language sql
set search_path = ''
as $$
  select private.plan_rent_reminders(p_now, p_org_ids)
$$;
comment on function public.plan_rent_reminders(timestamptz, uuid[]) is 'Service role (rent-reminders): plans the reminders owed as of p_now; returns {planned: new ones, since: the database clock}.';

create or replace function public.claim_rent_reminders(p_since timestamptz, p_limit integer default 100, p_org_ids uuid[] default null) returns jsonb
language sql
set search_path = ''
as $$
  select private.claim_rent_reminders(p_since, p_limit, p_org_ids)
$$;
comment on function public.claim_rent_reminders(timestamptz, integer, uuid[]) is 'Service role (rent-reminders): claims reminders to deliver and returns their content.';

create or replace function public.complete_rent_reminders(p_results jsonb) returns integer
language sql
set search_path = ''
as $$
  select private.complete_rent_reminders(p_results)
$$;
comment on function public.complete_rent_reminders(jsonb) is 'Service role (rent-reminders): records delivered, failed and skipped reminders.';

revoke execute on function public.plan_rent_reminders(timestamptz, uuid[]), public.claim_rent_reminders(timestamptz, integer, uuid[]),
  public.complete_rent_reminders(jsonb) from public, anon, authenticated;
grant execute on function public.plan_rent_reminders(timestamptz, uuid[]), public.claim_rent_reminders(timestamptz, integer, uuid[]),
  public.complete_rent_reminders(jsonb) to service_role;

-- Hourly at half past: the function plans for the orgs in their local morning and delivers what
-- is owed. Called as the other scheduled functions are: private.invoke_function (created by the
-- schedule_autopay migration; the job's command is only looked up when it runs) posts through
-- pg_net to the project URL in Vault with the cron secret, which the function has the database check.
select cron.schedule('rent-reminders', '30 * * * *', $$select private.invoke_function('rent-reminders')$$);
