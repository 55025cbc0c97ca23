-- Stripe Connect: each org takes rent on its own Express account (direct charges), and what Stripe
-- says the account can do (charges, payouts, details) is kept here from account.updated events.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

alter table public.organizations
  add column charges_enabled boolean not null default false,
  add column payouts_enabled boolean not null default false,
  add column details_submitted boolean not null default false;
-- Unique indexes (not constraints: Squawk's disallowed-unique-constraint); few rows per org.
create unique index organizations_stripe_account_id_key on public.organizations (stripe_account_id);
create unique index organizations_stripe_customer_id_key on public.organizations (stripe_customer_id);
comment on column public.organizations.stripe_account_id is 'The org''s Stripe Connect (Express) account: rent is charged on it directly (Stripe-Account header).';
comment on column public.organizations.stripe_customer_id is 'The org as a customer of the platform, for its Lintel subscription (Stripe Billing).';
comment on column public.organizations.charges_enabled is 'Stripe says the connected account can take payments; create-payment refuses until it can.';
comment on column public.organizations.payouts_enabled is 'Stripe says the connected account can receive payouts.';
comment on column public.organizations.details_submitted is 'The owner finished Stripe''s onboarding form (it may still be under review).';

-- An account.updated event (or the account fetched from Stripe) as the webhook hands it over:
-- the flags are Stripe's current word on the account, so they are copied, never merged.
create or replace function private.apply_stripe_account(p_account jsonb) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid;
begin
  update public.organizations o
  set charges_enabled = coalesce((p_account ->> 'charges_enabled')::boolean, false),
      payouts_enabled = coalesce((p_account ->> 'payouts_enabled')::boolean, false),
      details_submitted = coalesce((p_account ->> 'details_submitted')::boolean, false)
  where o.stripe_account_id = p_account ->> 'id'
  returning o.id into v_org;
  return v_org;
end;
$$;
comment on function private.apply_stripe_account(jsonb) is 'Copies a Stripe Account''s charges_enabled, payouts_enabled and details_submitted onto its org; returns the org (NULL if none has it).';
revoke execute on function private.apply_stripe_account(jsonb) from public;
