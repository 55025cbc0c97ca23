-- SaaS billing of the orgs (Stripe Billing): the plan catalogue, each org's subscription state from
-- webhooks, and read-only orgs once a lapsed subscription's grace period is over, enforced here.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

-- Project error codes added here (see create_private_helpers):
--   LT402 the org is read-only: its subscription lapsed and the grace period is over

create table private.plans (
  plan text not null,
  name text not null,
  unit_limit integer not null,
  amount_minor bigint not null,
  currency text not null default 'USD',
  billing_interval text not null default 'month',
  lookup_key text not null,
  application_fee_bps integer not null default 0,
  sort_order integer not null,
  constraint plans_pkey primary key (plan),
  constraint plans_lookup_key_key unique (lookup_key),
  constraint plans_plan_check check (plan in ('free', 'starter', 'growth', 'enterprise')),
  constraint plans_unit_limit_check check (unit_limit >= 0),
  constraint plans_amount_minor_check check (amount_minor >= 0),
  constraint plans_currency_check check (currency ~ '^[A-Z]{3}$'),
  constraint plans_billing_interval_check check (billing_interval in ('month', 'year')),
  constraint plans_application_fee_bps_check check (application_fee_bps between 0 and 1000)
);
comment on table private.plans is 'Lintel''s plans: unit limit, price (Stripe Price found or created by lookup_key) and the platform''s fee on rent paid online.';
comment on column private.plans.application_fee_bps is 'Platform fee on each online rent payment of an org on this plan, in basis points of the amount (application_fee_amount on the direct charge); 0 takes none.';
alter table private.plans enable row level security;
revoke all on private.plans from public, anon, authenticated, service_role;

insert into private.plans (plan, name, unit_limit, amount_minor, lookup_key, application_fee_bps, sort_order) values
  ('free', 'Free', 5, 0, 'lintel_free_monthly', 100, 1),
  ('starter', 'Starter', 100, 4900, 'lintel_starter_monthly', 50, 2),
  ('growth', 'Growth', 500, 19900, 'lintel_growth_monthly', 25, 3),
  ('enterprise', 'Enterprise', 5000, 79900, 'lintel_enterprise_monthly', 0, 4);

alter table public.organizations
  add column billing_status text not null default 'none' constraint organizations_billing_status_check check (billing_status in (
    'none', 'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
  add column billing_grace_until timestamptz,
  add column stripe_subscription_id text;
create unique index organizations_stripe_subscription_id_key on public.organizations (stripe_subscription_id);
comment on column public.organizations.billing_status is 'The Lintel subscription''s Stripe status (none: never subscribed). Kept by the Stripe webhook.';
comment on column public.organizations.billing_grace_until is 'Set when the subscription lapses (past due, unpaid, canceled...): from then on staff cannot write until it is renewed. NULL while in good standing.';
comment on column public.organizations.stripe_subscription_id is 'The org''s current Lintel subscription.';

-- Seven days to fix a failed card before the org turns read-only.
create or replace function private.billing_grace_period() returns interval
language sql immutable
set search_path = ''
as $$ select interval '7 days' $$;
revoke execute on function private.billing_grace_period() from public;

create or replace function private.billing_plans()
returns table (plan text, name text, unit_limit integer, amount_minor bigint, currency text, billing_interval text, lookup_key text)
language sql stable
security definer
set search_path = ''
as $$
  select p.plan, p.name, p.unit_limit, p.amount_minor, p.currency, p.billing_interval, p.lookup_key
  from private.plans p order by p.sort_order
$$;
create or replace function public.billing_plans()
returns table (plan text, name text, unit_limit integer, amount_minor bigint, currency text, billing_interval text, lookup_key text)
language sql stable
set search_path = ''
as $$ select * from private.billing_plans() $$;
comment on function public.billing_plans() is 'The plans an org can subscribe to, with their unit limits and monthly prices (the billing page; billing-checkout).';
revoke execute on function private.billing_plans(), public.billing_plans() from public;
grant execute on function private.billing_plans() to authenticated, service_role;
grant execute on function public.billing_plans() to authenticated, service_role;

-- A Stripe Subscription as Stripe holds it now (the webhook fetches it before calling): the plan
-- comes from its price's lookup_key, the unit limit from the plan; a lapse starts the grace period
-- once, and good standing ends it. Another subscription's late news never replaces the current one.
create or replace function private.apply_subscription(p_sub jsonb) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org public.organizations;
  v_status text := p_sub ->> 'status';
  v_price jsonb := p_sub #> '{items,data,0,price}';
  v_plan private.plans;
begin
  select * into v_org from public.organizations o
  where o.id = case when p_sub #>> '{metadata,org_id}' ~* '^[0-9a-f-]{36}$' then (p_sub #>> '{metadata,org_id}')::uuid end
     or o.stripe_customer_id = p_sub ->> 'customer'
  order by (o.stripe_customer_id = p_sub ->> 'customer') is true desc
  limit 1
  for update;
  if v_org.id is null or v_status is null then
    return null;
  end if;
  if v_org.stripe_subscription_id is distinct from p_sub ->> 'id' and v_org.stripe_subscription_id is not null
     and v_status not in ('active', 'trialing') then
    return v_org.id;
  end if;
  select * into v_plan from private.plans p
  where p.lookup_key = v_price ->> 'lookup_key' or p.plan = v_price #>> '{metadata,plan}'
  limit 1;

  update public.organizations o
  set stripe_subscription_id = p_sub ->> 'id',
      stripe_customer_id = coalesce(o.stripe_customer_id, p_sub ->> 'customer'),
      billing_status = v_status,
      plan = case when v_status in ('active', 'trialing') and v_plan.plan is not null then v_plan.plan else o.plan end,
      unit_limit = case when v_status in ('active', 'trialing') and v_plan.plan is not null then v_plan.unit_limit else o.unit_limit end,
      billing_grace_until = case
        when v_status in ('active', 'trialing') then null
        when v_status = 'incomplete' then o.billing_grace_until
        else coalesce(o.billing_grace_until, now() + private.billing_grace_period())
      end
  where o.id = v_org.id;
  return v_org.id;
end;
$$;
comment on function private.apply_subscription(jsonb) is 'Copies a Stripe Subscription''s status, plan and unit limit onto its org and starts or ends the lapse grace period.';
revoke execute on function private.apply_subscription(jsonb) from public;

-- Read-only after the grace period: a statement trigger on each business table refuses writes by
-- the org's staff. It costs one primary-key lookup per statement, whatever the row count, and
-- nothing for the service role, the rent run and the webhook (no org claim). Residents are not
-- staff: they still pay rent, save cards and report repairs. A table added later that staff write
-- gets the same trigger.
create or replace function private.tg_require_writable_org() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if private.has_org_role(array['owner', 'admin', 'manager', 'maintenance', 'viewer'])
     and exists (
       select 1 from public.organizations o
       where o.id = private.current_org_id() and o.billing_grace_until <= now()
     ) then
    raise exception 'this organization is read-only: its Lintel subscription has lapsed'
      using errcode = 'LT402', hint = 'The owner can renew the plan under Settings, Billing.';
  end if;
  return null;
end;
$$;
comment on function private.tg_require_writable_org() is 'Refuses a staff write to an org whose subscription lapsed past its grace period (billing_grace_until).';
revoke execute on function private.tg_require_writable_org() from public;

-- Memberships and invitations are written through RPCs in which the caller may act on an org other
-- than their active one (accepting an invitation): few rows, so these check the row's own org.
create or replace function private.tg_require_writable_row_org() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if private.has_org_role(array['owner', 'admin', 'manager', 'maintenance', 'viewer'])
     and exists (
       select 1 from public.organizations o
       where o.id = case when tg_op = 'DELETE' then old.org_id else new.org_id end
         and o.billing_grace_until <= now()
     ) then
    raise exception 'this organization is read-only: its Lintel subscription has lapsed'
      using errcode = 'LT402', hint = 'The owner can renew the plan under Settings, Billing.';
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end;
$$;
comment on function private.tg_require_writable_row_org() is 'Row-level twin of tg_require_writable_org for tables written across orgs (memberships, invitations).';
revoke execute on function private.tg_require_writable_row_org() from public;

create trigger organizations_before_write_require_writable before update on public.organizations
  for each statement execute function private.tg_require_writable_org();
create trigger memberships_before_write_require_writable before insert or update or delete on public.memberships
  for each row execute function private.tg_require_writable_row_org();
create trigger invitations_before_write_require_writable before insert or update or delete on public.invitations
  for each row execute function private.tg_require_writable_row_org();
create trigger properties_before_write_require_writable before insert or update or delete on public.properties
  for each statement execute function private.tg_require_writable_org();
create trigger units_before_write_require_writable before insert or update or delete on public.units
  for each statement execute function private.tg_require_writable_org();
create trigger residents_before_write_require_writable before insert or update or delete on public.residents
  for each statement execute function private.tg_require_writable_org();
create trigger leases_before_write_require_writable before insert or update or delete on public.leases
  for each statement execute function private.tg_require_writable_org();
create trigger lease_residents_before_write_require_writable before insert or update or delete on public.lease_residents
  for each statement execute function private.tg_require_writable_org();
create trigger ledger_entries_before_insert_require_writable before insert on public.ledger_entries
  for each statement execute function private.tg_require_writable_org();
create trigger maintenance_requests_before_write_require_writable before insert or update or delete on public.maintenance_requests
  for each statement execute function private.tg_require_writable_org();
create trigger maintenance_events_before_write_require_writable before insert or update or delete on public.maintenance_events
  for each statement execute function private.tg_require_writable_org();
