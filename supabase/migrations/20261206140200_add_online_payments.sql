-- Online rent payments through Stripe: Checkout on the org's connected account, autopay with a saved
-- card, the webhook's event record, status rules and ledger postings, and PDF receipts in Storage.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

-- Project error codes added here (see create_private_helpers):
--   LT412 the org cannot take online payments yet (Stripe onboarding unfinished)
--   LT428 the webhook must fetch the object from Stripe and call again (order of events unclear)

alter table public.organizations
  add column allow_prepayment boolean not null default false;
comment on column public.organizations.allow_prepayment is 'Residents may pay more than their open balance (a credit on the lease).';
grant update (allow_prepayment) on public.organizations to authenticated;

alter table public.payments
  add column stripe_checkout_session_id text,
  add column stripe_account_id text,
  add column application_fee_minor bigint not null default 0,
  add column refunded_minor bigint not null default 0,
  add column dispute_status text constraint payments_dispute_status_check check (dispute_status in (
    'warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response', 'under_review', 'won', 'lost', 'prevented')),
  add column idempotency_key text,
  add column autopay boolean not null default false,
  add column stripe_event_at timestamptz,
  add column succeeded_at timestamptz,
  add column receipt_path text;
-- The two columns are new with default 0, which every existing row satisfies: one scan of payments
-- under this file's 5 s lock timeout, rather than NOT VALID and a second migration to validate.
-- squawk-ignore constraint-missing-not-valid
alter table public.payments add constraint payments_application_fee_minor_check check (application_fee_minor >= 0 and application_fee_minor < amount_minor);
-- squawk-ignore constraint-missing-not-valid
alter table public.payments add constraint payments_refunded_minor_check check (refunded_minor between 0 and amount_minor);
create unique index payments_stripe_checkout_session_id_key on public.payments (stripe_checkout_session_id);
create unique index payments_org_id_idempotency_key_key on public.payments (org_id, idempotency_key);
comment on column public.payments.stripe_checkout_session_id is 'The Checkout Session the resident pays on; its PaymentIntent exists only from the first attempt on.';
comment on column public.payments.stripe_account_id is 'The org''s connected account the direct charge lives on; events about it must come from that account.';
comment on column public.payments.application_fee_minor is 'The platform''s fee taken from the charge (application_fee_amount).';
comment on column public.payments.refunded_minor is 'Total refunded by Stripe so far; each increase posted once as a refund entry.';
comment on column public.payments.dispute_status is 'The Stripe dispute''s status, if the resident disputed the charge; a lost dispute reverses the payment in the ledger.';
comment on column public.payments.idempotency_key is 'Unique per org: autopay:<lease>:<YYYY-MM> for autopay, portal:<client key> for a retried portal request.';
comment on column public.payments.stripe_event_at is 'When Stripe created the event (or the fetch) that set the current status: an older one never moves the status back.';
comment on column public.payments.receipt_path is 'The PDF receipt in the receipts bucket (<org_id>/<lease_id>/<payment_id>.pdf), once stored.';

-- Stripe delivers at least once, in any order: each event id is recorded in the same transaction
-- as what it changed, so a redelivery changes nothing. Only the webhook's RPC reads or writes it.
create table private.stripe_events (
  id text not null,
  type text not null,
  account text,
  created timestamptz not null,
  received_at timestamptz not null default now(),
  constraint stripe_events_pkey primary key (id)
);
comment on table private.stripe_events is 'Stripe events the webhook has processed (once each). Kept 30 days, past Stripe''s 3 days of retries.';
create index stripe_events_received_at_idx on private.stripe_events (received_at);
alter table private.stripe_events enable row level security;
revoke all on private.stripe_events from public, anon, authenticated, service_role;

-- Autopay: a resident opts in with a card saved on the org's connected account (setup-mode
-- Checkout), and out again by switching `enabled` off. One resident pays a lease automatically.
create table public.autopay_enrollments (
  id uuid not null default gen_random_uuid(),
  org_id uuid not null default private.current_org_id(),
  lease_id uuid not null,
  resident_id uuid not null,
  enabled boolean not null default false,
  stripe_customer_id text,
  stripe_payment_method_id text,
  card_brand text,
  card_last4 text,
  enabled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint autopay_enrollments_pkey primary key (id),
  constraint autopay_enrollments_org_id_lease_id_resident_id_key unique (org_id, lease_id, resident_id),
  constraint autopay_enrollments_org_id_lease_id_fkey foreign key (org_id, lease_id) references public.leases (org_id, id) on delete cascade,
  constraint autopay_enrollments_org_id_resident_id_fkey foreign key (org_id, resident_id) references public.residents (org_id, id) on delete cascade,
  constraint autopay_enrollments_enabled_check check (not enabled or stripe_payment_method_id is not null),
  constraint autopay_enrollments_card_last4_check check (card_last4 is null or card_last4 ~ '^[0-9]{4}$')
);
comment on table public.autopay_enrollments is 'A resident''s autopay on a lease: the saved card on the org''s connected account and whether it is on. Written by the functions; the resident switches enabled.';
comment on column public.autopay_enrollments.enabled_at is 'When autopay was last switched on: rent posted from then on is charged automatically.';
create unique index autopay_enrollments_org_id_lease_id_enabled_key on public.autopay_enrollments (org_id, lease_id) where enabled;
create index autopay_enrollments_org_id_resident_id_idx on public.autopay_enrollments (org_id, resident_id);
create trigger autopay_enrollments_before_update_touch before update on public.autopay_enrollments
  for each row execute function private.tg_touch_updated_at();

create or replace function private.tg_autopay_enabled_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.enabled and (tg_op = 'INSERT' or not old.enabled) then
    new.enabled_at := now();
  end if;
  return new;
end;
$$;
revoke execute on function private.tg_autopay_enabled_at() from public;
create trigger autopay_enrollments_before_write_enabled_at before insert or update of enabled on public.autopay_enrollments
  for each row execute function private.tg_autopay_enabled_at();

alter table public.autopay_enrollments enable row level security;
revoke all on public.autopay_enrollments from anon;
revoke insert, update, delete, truncate on public.autopay_enrollments from authenticated;
grant update (enabled) on public.autopay_enrollments to authenticated;

-- Everyone on the lease sees that rent goes out automatically (the co-residents too, as with payments).
create policy "autopay_enrollments: finance staff, lease residents can select" on public.autopay_enrollments
  for select to authenticated
  using (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'viewer']))
      or lease_id = any ((select private.current_resident_lease_ids())::uuid[])
    )
  );
create policy "autopay_enrollments: residents can update their own" on public.autopay_enrollments
  for update to authenticated
  using (org_id = (select private.current_org_id()) and resident_id = (select private.current_resident_id()))
  with check (org_id = (select private.current_org_id()) and resident_id = (select private.current_resident_id()));

-- The payment page follows autopay live, as it follows payments (finance and resident topics).
create trigger autopay_enrollments_after_insert_broadcast after insert on public.autopay_enrollments
  referencing new table as new_rows for each statement execute function private.tg_broadcast_finance();
create trigger autopay_enrollments_after_update_broadcast after update on public.autopay_enrollments
  referencing old table as old_rows new table as new_rows for each statement execute function private.tg_broadcast_finance();
create trigger autopay_enrollments_after_delete_broadcast after delete on public.autopay_enrollments
  referencing old table as old_rows for each statement execute function private.tg_broadcast_finance();

-- Status rules -------------------------------------------------------------------------------
-- pending, failed and processing can follow one another (a declined card, then another card on the
-- same Checkout page; a bank debit that fails after processing); canceled, succeeded and refunded
-- are final in that order. Between the non-final ones the newer Stripe event wins; when two are
-- from the same second the webhook fetches the PaymentIntent and calls again (LT428).
create or replace function private.payment_status_rank(p_status text) returns integer
language sql immutable
set search_path = ''
as $$
  select case p_status
    when 'pending' then 0 when 'failed' then 1 when 'processing' then 1
    when 'canceled' then 3 when 'succeeded' then 4 when 'refunded' then 5 end
$$;
revoke execute on function private.payment_status_rank(text) from public;

create or replace function private.intent_status(p_pi jsonb) returns text
language sql immutable
set search_path = ''
as $$
  select case p_pi ->> 'status'
    when 'succeeded' then 'succeeded'
    when 'processing' then 'processing'
    when 'canceled' then 'canceled'
    when 'requires_payment_method' then
      case when jsonb_typeof(p_pi -> 'last_payment_error') = 'object' then 'failed' else 'pending' end
    else 'pending'
  end
$$;
comment on function private.intent_status(jsonb) is 'A Stripe PaymentIntent''s status as a Lintel payment status (a declined attempt is failed).';
revoke execute on function private.intent_status(jsonb) from public;

-- Stripe metadata is text we wrote, but an event may carry anything: a malformed id is no id.
create or replace function private.to_uuid(p_text text) returns uuid
language sql immutable
set search_path = ''
as $$
  select case when p_text ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then p_text::uuid end
$$;
revoke execute on function private.to_uuid(text) from public;

-- The payment an object of Stripe's is about, locked: by our metadata (set on every object we
-- create), else by the PaymentIntent or Checkout Session id recorded on it.
create or replace function private.lock_payment(p_payment_id text, p_intent text, p_session text) returns public.payments
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_payment public.payments;
  v_id uuid := private.to_uuid(p_payment_id);
begin
  if v_id is not null then
    select * into v_payment from public.payments p where p.id = v_id for update;
  end if;
  if v_payment.id is null and p_intent is not null then
    select * into v_payment from public.payments p where p.stripe_payment_intent_id = p_intent for update;
  end if;
  if v_payment.id is null and p_session is not null then
    select * into v_payment from public.payments p where p.stripe_checkout_session_id = p_session for update;
  end if;
  return v_payment;
end;
$$;
revoke execute on function private.lock_payment(text, text, text) from public;

-- Posts the payment's ledger entry, once per PaymentIntent whatever the event (stripe:<pi>), on the
-- org's local date of the payment.
create or replace function private.post_payment_entry(p_payment public.payments) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_day date;
begin
  select (coalesce(p_payment.succeeded_at, now()) at time zone o.timezone)::date into v_day
  from public.organizations o where o.id = p_payment.org_id;
  perform set_config('lintel.via', 'stripe_webhook', true);
  perform private.insert_ledger_entry(
    p_payment.org_id, p_payment.lease_id, 'payment', -p_payment.amount_minor,
    'stripe:' || p_payment.stripe_payment_intent_id,
    case when p_payment.autopay then 'Autopay' else 'Online payment' end,
    v_day, null, p_payment.id);
end;
$$;
revoke execute on function private.post_payment_entry(public.payments) from public;

-- Moves a locked payment to p_status under the rules above; `p_current` = the object was just
-- fetched from Stripe, so it is the latest word. Returns the payment as it is now.
create or replace function private.set_payment_status(
  p_payment public.payments, p_status text, p_at timestamptz, p_current boolean, p_failure text default null
) returns public.payments
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_from integer := private.payment_status_rank(p_payment.status);
  v_to integer := private.payment_status_rank(p_status);
  v_payment public.payments := p_payment;
begin
  if p_status = p_payment.status then
    return v_payment;
  elsif v_from >= 3 or v_to >= 3 then
    -- final states only ever move up
    if v_to <= v_from then
      return v_payment;
    end if;
  elsif not p_current then
    if p_at < p_payment.stripe_event_at then
      return v_payment;
    elsif p_at = p_payment.stripe_event_at then
      raise exception 'payment % has % and % from the same second', p_payment.id, p_payment.status, p_status
        using errcode = 'LT428', hint = 'Fetch the PaymentIntent from Stripe and call again with it.';
    end if;
  end if;
  if p_status = 'succeeded' and p_payment.stripe_payment_intent_id is null then
    raise exception 'payment % succeeded without a PaymentIntent', p_payment.id using errcode = 'LT422';
  end if;
  update public.payments p
  set status = p_status,
      stripe_event_at = greatest(p.stripe_event_at, p_at),
      failure_reason = case when p_status = 'failed' then coalesce(p_failure, p.failure_reason) when v_to >= 3 then p.failure_reason else null end,
      succeeded_at = case when p_status = 'succeeded' then coalesce(p.succeeded_at, p_at) else p.succeeded_at end
  where p.id = p_payment.id
  returning * into v_payment;
  if p_status = 'succeeded' then
    perform private.post_payment_entry(v_payment);
  end if;
  return v_payment;
end;
$$;
revoke execute on function private.set_payment_status(public.payments, text, timestamptz, boolean, text) from public;

-- Records the PaymentIntent on the payment the first time it is seen; false when the object is not
-- for this payment (another account, another intent, another amount), which is then left alone.
create or replace function private.payment_matches(
  p_payment public.payments, p_account text, p_intent text, p_amount bigint
) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_payment.stripe_account_id is distinct from p_account
     or (p_amount is not null and p_amount <> p_payment.amount_minor)
     or (p_intent is not null and p_payment.stripe_payment_intent_id is not null and p_payment.stripe_payment_intent_id <> p_intent) then
    raise warning 'Stripe object % (account %) does not match payment %', p_intent, p_account, p_payment.id;
    return false;
  end if;
  if p_intent is not null and p_payment.stripe_payment_intent_id is null then
    update public.payments set stripe_payment_intent_id = p_intent where id = p_payment.id;
  end if;
  return true;
end;
$$;
revoke execute on function private.payment_matches(public.payments, text, text, bigint) from public;

create or replace function private.apply_payment_intent(p_pi jsonb, p_account text, p_at timestamptz, p_current boolean)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_payment public.payments := private.lock_payment(p_pi #>> '{metadata,payment_id}', p_pi ->> 'id', null);
begin
  if v_payment.id is null
     or not private.payment_matches(v_payment, p_account, p_pi ->> 'id', (p_pi ->> 'amount')::bigint) then
    return null;
  end if;
  v_payment.stripe_payment_intent_id := p_pi ->> 'id';
  perform private.set_payment_status(v_payment, private.intent_status(p_pi), p_at, p_current,
    p_pi #>> '{last_payment_error,message}');
  return v_payment.id;
end;
$$;
revoke execute on function private.apply_payment_intent(jsonb, text, timestamptz, boolean) from public;

-- Checkout in payment mode. Its PaymentIntent exists from the first attempt; `paid` means the
-- money is in (cards), `unpaid` on completion a bank debit still clearing.
create or replace function private.apply_checkout_payment(p_session jsonb, p_type text, p_account text, p_at timestamptz)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_payment public.payments := private.lock_payment(p_session #>> '{metadata,payment_id}', p_session ->> 'payment_intent', p_session ->> 'id');
  v_status text;
begin
  if v_payment.id is null
     or not private.payment_matches(v_payment, p_account, p_session ->> 'payment_intent', (p_session ->> 'amount_total')::bigint) then
    return null;
  end if;
  if v_payment.stripe_checkout_session_id is null then
    update public.payments set stripe_checkout_session_id = p_session ->> 'id' where id = v_payment.id;
  end if;
  v_payment.stripe_payment_intent_id := coalesce(v_payment.stripe_payment_intent_id, p_session ->> 'payment_intent');
  v_status := case
    when p_type = 'checkout.session.expired' then 'canceled'
    when p_type = 'checkout.session.async_payment_failed' then 'failed'
    when p_session ->> 'payment_status' = 'paid' then 'succeeded'
    else 'processing'
  end;
  perform private.set_payment_status(v_payment, v_status, p_at, false);
  return v_payment.id;
end;
$$;
revoke execute on function private.apply_checkout_payment(jsonb, text, text, timestamptz) from public;

-- A refund, in part or in full (charge.refunded, cumulative amount_refunded): each increase is one
-- refund entry; a refunded charge had succeeded, whatever order its events came in.
create or replace function private.apply_refund(p_charge jsonb, p_account text, p_at timestamptz) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_payment public.payments := private.lock_payment(p_charge #>> '{metadata,payment_id}', p_charge ->> 'payment_intent', null);
  v_refunded bigint := (p_charge ->> 'amount_refunded')::bigint;
begin
  if v_payment.id is null or not private.payment_matches(v_payment, p_account, p_charge ->> 'payment_intent', null) then
    return null;
  end if;
  v_payment.stripe_payment_intent_id := p_charge ->> 'payment_intent';
  v_payment := private.set_payment_status(v_payment, 'succeeded', p_at, true);
  if v_refunded > v_payment.refunded_minor then
    v_refunded := least(v_refunded, v_payment.amount_minor);
    perform set_config('lintel.via', 'stripe_webhook', true);
    perform private.insert_ledger_entry(
      v_payment.org_id, v_payment.lease_id, 'refund', v_refunded - v_payment.refunded_minor,
      'refund:' || v_payment.stripe_payment_intent_id || ':' || v_refunded, 'Refund', (p_at at time zone 'UTC')::date,
      null, v_payment.id);
    update public.payments
    set refunded_minor = v_refunded, status = case when v_refunded >= amount_minor then 'refunded' else status end
    where id = v_payment.id;
  end if;
  return v_payment.id;
end;
$$;
revoke execute on function private.apply_refund(jsonb, text, timestamptz) from public;

-- Disputes: the status moves forward only (open, then closed); a lost one takes the money back in
-- the ledger once: a reversal of the payment entry, or a refund entry of the disputed amount when
-- part of the payment was already refunded. A won one changes no money.
create or replace function private.apply_dispute(p_dispute jsonb, p_account text, p_at timestamptz, p_intent jsonb) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_payment public.payments := private.lock_payment(p_intent #>> '{metadata,payment_id}', p_dispute ->> 'payment_intent', null);
  v_status text := p_dispute ->> 'status';
  v_closed boolean := v_status in ('won', 'lost', 'warning_closed', 'prevented');
  v_entry public.ledger_entries;
begin
  if v_payment.id is null and p_intent is null and p_dispute ->> 'payment_intent' is not null then
    raise exception 'no payment has PaymentIntent % yet', p_dispute ->> 'payment_intent'
      using errcode = 'LT428', hint = 'Fetch the PaymentIntent from Stripe and call again with it.';
  end if;
  if v_payment.id is null or not private.payment_matches(v_payment, p_account, p_dispute ->> 'payment_intent', null) then
    return null;
  end if;
  v_payment.stripe_payment_intent_id := p_dispute ->> 'payment_intent';
  v_payment := private.set_payment_status(v_payment, 'succeeded', p_at, true);
  if v_payment.dispute_status in ('won', 'lost', 'warning_closed', 'prevented') and not v_closed then
    return v_payment.id;
  end if;
  update public.payments set dispute_status = v_status where id = v_payment.id;
  if v_status = 'lost' then
    perform set_config('lintel.via', 'stripe_webhook', true);
    select * into v_entry from public.ledger_entries e
    where e.org_id = v_payment.org_id and e.idempotency_key = 'stripe:' || v_payment.stripe_payment_intent_id;
    if (p_dispute ->> 'amount')::bigint = v_payment.amount_minor and v_payment.refunded_minor = 0 then
      perform private.insert_ledger_entry(
        v_payment.org_id, v_payment.lease_id, 'reversal', -v_entry.amount_minor,
        'dispute:' || (p_dispute ->> 'id'), 'Payment disputed and lost', (p_at at time zone 'UTC')::date,
        v_entry.id, v_payment.id);
    else
      perform private.insert_ledger_entry(
        v_payment.org_id, v_payment.lease_id, 'refund', (p_dispute ->> 'amount')::bigint,
        'dispute:' || (p_dispute ->> 'id'), 'Payment disputed and lost', (p_at at time zone 'UTC')::date,
        null, v_payment.id);
    end if;
  end if;
  return v_payment.id;
end;
$$;
revoke execute on function private.apply_dispute(jsonb, text, timestamptz, jsonb) from public;

-- A card saved through setup-mode Checkout (the SetupIntent fetched by the webhook, its
-- payment_method expanded) switches autopay on for that resident and lease, unless another
-- resident already pays the lease automatically.
create or replace function private.apply_autopay_setup(p_session jsonb, p_setup_intent jsonb, p_account text) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_meta jsonb := p_session -> 'metadata';
  v_lease uuid := private.to_uuid(p_session #>> '{metadata,lease_id}');
  v_resident uuid := private.to_uuid(p_session #>> '{metadata,resident_id}');
  v_org uuid;
  v_pm jsonb := p_setup_intent -> 'payment_method';
  v_id uuid;
begin
  if p_setup_intent ->> 'status' <> 'succeeded' or jsonb_typeof(v_pm) <> 'object' then
    return null;
  end if;
  select o.id into v_org from public.organizations o
  where o.id = private.to_uuid(v_meta ->> 'org_id') and o.stripe_account_id = p_account;
  if v_org is null or not exists (
    select 1 from public.lease_residents lr
    where lr.org_id = v_org and lr.lease_id = v_lease and lr.resident_id = v_resident
  ) then
    return null;
  end if;
  -- Serialises two residents of one lease saving cards at once.
  perform 1 from public.leases l where l.id = v_lease for update;
  insert into public.autopay_enrollments as a (org_id, lease_id, resident_id, enabled, stripe_customer_id,
    stripe_payment_method_id, card_brand, card_last4)
  values (v_org, v_lease, v_resident,
    not exists (
      select 1 from public.autopay_enrollments x
      where x.org_id = v_org and x.lease_id = v_lease and x.enabled
        and x.resident_id <> v_resident),
    coalesce(p_setup_intent ->> 'customer', p_session ->> 'customer'), v_pm ->> 'id',
    v_pm #>> '{card,brand}', v_pm #>> '{card,last4}')
  on conflict (org_id, lease_id, resident_id) do update
  set enabled = excluded.enabled,
      stripe_customer_id = coalesce(excluded.stripe_customer_id, a.stripe_customer_id),
      stripe_payment_method_id = excluded.stripe_payment_method_id,
      card_brand = excluded.card_brand,
      card_last4 = excluded.card_last4
  returning a.id into v_id;
  return v_id;
end;
$$;
revoke execute on function private.apply_autopay_setup(jsonb, jsonb, text) from public;

-- What the webhook needs to write a payment's PDF receipt, while it has none.
create or replace function private.receipt_todo(p_payment_id uuid) returns jsonb
language sql stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'payment_id', p.id, 'org_id', p.org_id, 'lease_id', p.lease_id,
    'path', p.org_id || '/' || p.lease_id || '/' || p.id || '.pdf',
    'org_name', o.name, 'locale', o.locale, 'timezone', o.timezone, 'currency', p.currency,
    'amount_minor', p.amount_minor, 'paid_at', p.succeeded_at, 'payment_intent', p.stripe_payment_intent_id,
    'autopay', p.autopay, 'resident_name', r.full_name, 'unit_label', u.label, 'property_name', pr.name)
  from public.payments p
  join public.organizations o on o.id = p.org_id
  join public.leases l on l.org_id = p.org_id and l.id = p.lease_id
  join public.units u on u.org_id = l.org_id and u.id = l.unit_id
  join public.properties pr on pr.org_id = u.org_id and pr.id = u.property_id
  left join public.residents r on r.org_id = p.org_id and r.id = p.resident_id
  where p.id = p_payment_id and p.status in ('succeeded', 'refunded') and p.receipt_path is null
$$;
revoke execute on function private.receipt_todo(uuid) from public;

-- The webhook's one call per verified event: records the event id and applies it in one
-- transaction, so Stripe gets 2xx only for committed work and a redelivery changes nothing.
-- p_fetched is the event's object fetched from Stripe when ordering needs it (subscriptions,
-- accounts, a setup-mode session's SetupIntent, a PaymentIntent after LT428).
create or replace function private.handle_stripe_event(p_event jsonb, p_fetched jsonb) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_type text := p_event ->> 'type';
  v_object jsonb := p_event #> '{data,object}';
  v_account text := p_event ->> 'account';
  v_at timestamptz := to_timestamp((p_event ->> 'created')::bigint);
  v_payment uuid;
  v_org uuid;
  v_new boolean;
begin
  insert into private.stripe_events (id, type, account, created)
  values (p_event ->> 'id', v_type, v_account, v_at)
  on conflict (id) do nothing;
  v_new := found;

  if not v_new then
    -- A redelivery: nothing to apply, but a receipt that a crash left unwritten is still owed.
    select p.id into v_payment from public.payments p
    where p.id = private.to_uuid(v_object #>> '{metadata,payment_id}')
       or p.stripe_payment_intent_id = coalesce(v_object ->> 'payment_intent', case when v_object ->> 'object' = 'payment_intent' then v_object ->> 'id' end)
    limit 1;
  elsif v_type in ('payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.processing', 'payment_intent.canceled') then
    v_payment := private.apply_payment_intent(coalesce(p_fetched, v_object), v_account, v_at, p_fetched is not null);
  elsif v_type in ('checkout.session.completed', 'checkout.session.expired',
                   'checkout.session.async_payment_succeeded', 'checkout.session.async_payment_failed') then
    if v_object ->> 'mode' = 'payment' then
      v_payment := private.apply_checkout_payment(v_object, v_type, v_account, v_at);
    elsif v_object ->> 'mode' = 'setup' and v_type = 'checkout.session.completed' and p_fetched is not null then
      perform private.apply_autopay_setup(v_object, p_fetched, v_account);
    elsif v_object ->> 'mode' = 'subscription' and v_account is null and p_fetched is not null then
      update public.organizations o set stripe_customer_id = v_object ->> 'customer'
      where o.id = private.to_uuid(v_object ->> 'client_reference_id') and o.stripe_customer_id is null;
      v_org := private.apply_subscription(p_fetched);
    end if;
  elsif v_type = 'charge.refunded' then
    v_payment := private.apply_refund(v_object, v_account, v_at);
  elsif v_type like 'charge.dispute.%' then
    v_payment := private.apply_dispute(v_object, v_account, v_at, p_fetched);
  elsif v_type = 'account.updated' then
    v_org := private.apply_stripe_account(coalesce(p_fetched, v_object));
  elsif (v_type like 'customer.subscription.%' or v_type like 'invoice.%') and v_account is null and p_fetched is not null then
    v_org := private.apply_subscription(p_fetched);
  end if;

  return jsonb_build_object('duplicate', not v_new, 'payment_id', v_payment, 'org_id', v_org,
    'receipt', case when v_payment is not null then private.receipt_todo(v_payment) end);
end;
$$;
revoke execute on function private.handle_stripe_event(jsonb, jsonb) from public;

create or replace function public.handle_stripe_event(p_event jsonb, p_fetched jsonb default null) returns jsonb
language sql
security definer
set search_path = ''
as $$ select private.handle_stripe_event(p_event, p_fetched) $$;
comment on function public.handle_stripe_event(jsonb, jsonb) is
  'The Stripe webhook''s transaction (service role): records a verified event once and applies it; answers {duplicate, payment_id, org_id, receipt}.';
revoke execute on function public.handle_stripe_event(jsonb, jsonb) from public, anon, authenticated;
grant execute on function public.handle_stripe_event(jsonb, jsonb) to service_role;

-- A PaymentIntent the functions just created or fetched (autopay's off-session charge): the same
-- rules as its webhook events, as the latest word on it.
create or replace function public.sync_payment_intent(p_payment_intent jsonb, p_account text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_payment uuid := private.apply_payment_intent(p_payment_intent, p_account, now(), true);
begin
  return jsonb_build_object('payment_id', v_payment,
    'receipt', case when v_payment is not null then private.receipt_todo(v_payment) end);
end;
$$;
comment on function public.sync_payment_intent(jsonb, text) is 'Applies a PaymentIntent just returned by Stripe to its payment (service role: autopay-run).';
revoke execute on function public.sync_payment_intent(jsonb, text) from public, anon, authenticated;
grant execute on function public.sync_payment_intent(jsonb, text) to service_role;

-- Starting a payment (create-payment, as the resident) ---------------------------------------
create or replace function private.start_payment(p_lease_id uuid, p_amount_minor bigint, p_client_key text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org public.organizations;
  v_resident uuid := private.current_resident_id();
  v_leases uuid[] := private.current_resident_lease_ids();
  v_lease public.leases;
  v_amount bigint := p_amount_minor;
  v_payment public.payments;
  v_fee_bps integer;
begin
  if v_resident is null or not private.has_org_role(array['resident']) then
    raise exception 'only residents pay rent online' using errcode = 'LT403';
  end if;
  if p_lease_id is null then
    if (select count(*) from public.leases l where l.id = any (v_leases) and l.status = 'active') <> 1 then
      raise exception 'lease_id is required' using errcode = 'LT422', hint = 'lease_id';
    end if;
    select * into v_lease from public.leases l where l.id = any (v_leases) and l.status = 'active';
  else
    select * into v_lease from public.leases l
    where l.id = p_lease_id and l.id = any (v_leases) and l.org_id = private.current_org_id() and l.status <> 'draft';
  end if;
  if v_lease.id is null then
    raise exception 'lease not found' using errcode = 'LT404';
  end if;
  select * into v_org from public.organizations o where o.id = v_lease.org_id;
  if not v_org.charges_enabled or v_org.stripe_account_id is null then
    raise exception '% cannot take online payments yet', v_org.name
      using errcode = 'LT412', hint = 'The owner finishes Stripe onboarding under Settings, Payouts.';
  end if;
  if p_client_key is not null then
    select * into v_payment from public.payments p
    where p.org_id = v_org.id and p.idempotency_key = 'portal:' || v_resident || ':' || p_client_key;
    if v_payment.id is not null then
      return to_jsonb(v_payment) || jsonb_build_object('existing', true, 'org_name', v_org.name);
    end if;
  end if;
  if v_amount is null then
    v_amount := v_lease.balance_minor;
    if v_amount <= 0 then
      raise exception 'nothing is owed on this lease' using errcode = 'LT422', hint = 'amount_cents';
    end if;
  elsif v_amount <= 0 then
    raise exception 'the amount must be positive' using errcode = 'LT422', hint = 'amount_cents';
  elsif v_amount > greatest(v_lease.balance_minor, 0) and not v_org.allow_prepayment then
    raise exception 'the amount is more than the open balance of %', greatest(v_lease.balance_minor, 0)
      using errcode = 'LT422', hint = 'amount_cents';
  end if;
  select p.application_fee_bps into v_fee_bps from private.plans p where p.plan = v_org.plan;
  insert into public.payments (org_id, lease_id, resident_id, status, amount_minor, currency, method,
    stripe_account_id, application_fee_minor, idempotency_key)
  values (v_org.id, v_lease.id, v_resident, 'pending', v_amount, v_lease.currency, 'card', v_org.stripe_account_id,
    v_amount * coalesce(v_fee_bps, 0) / 10000,
    case when p_client_key is not null then 'portal:' || v_resident || ':' || p_client_key end)
  returning * into v_payment;
  return to_jsonb(v_payment) || jsonb_build_object('existing', false, 'org_name', v_org.name);
end;
$$;
revoke execute on function private.start_payment(uuid, bigint, text) from public;
grant execute on function private.start_payment(uuid, bigint, text) to authenticated;

create or replace function public.start_payment(p_lease_id uuid default null, p_amount_minor bigint default null, p_client_key text default null)
returns jsonb
language sql
set search_path = ''
as $$ select private.start_payment(p_lease_id, p_amount_minor, p_client_key) $$;
comment on function public.start_payment(uuid, bigint, text) is
  'A resident starts paying a lease of theirs (default: the open balance); records a pending payment for create-payment to take to Stripe. Idempotent on p_client_key.';
revoke execute on function public.start_payment(uuid, bigint, text) from public, anon, service_role;
grant execute on function public.start_payment(uuid, bigint, text) to authenticated;

-- Autopay ------------------------------------------------------------------------------------
-- Rent posted for a lease on autopay (by whichever rent run) becomes one autopay payment per lease
-- and period, claimed here (autopay:<lease>:<YYYY-MM> is unique), for the open balance up to that
-- rent. Returns the payments autopay-run still has to charge: new ones and ones a crashed run left
-- without a PaymentIntent, while Stripe still honours the same idempotency key (under a day).
create or replace function public.claim_autopay_payments(p_limit integer default 200) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_out jsonb;
begin
  insert into public.payments (org_id, lease_id, resident_id, status, amount_minor, currency, method,
    stripe_account_id, application_fee_minor, idempotency_key, autopay)
  select e.org_id, e.lease_id, a.resident_id, 'pending', d.amount, e.currency, 'card', o.stripe_account_id,
         d.amount * coalesce(pl.application_fee_bps, 0) / 10000,
         'autopay:' || e.lease_id || ':' || to_char(e.period_start, 'YYYY-MM'), true
  from public.autopay_enrollments a
  join public.organizations o on o.id = a.org_id and o.charges_enabled and o.stripe_account_id is not null
  left join private.plans pl on pl.plan = o.plan
  join public.leases l on l.org_id = a.org_id and l.id = a.lease_id
  join public.ledger_entries e on e.org_id = a.org_id and e.lease_id = a.lease_id
   and e.kind = 'rent' and e.created_at >= greatest(a.enabled_at, now() - interval '3 days')
  cross join lateral (select least(e.amount_minor, l.balance_minor) as amount) d
  where a.enabled and d.amount > 0
  order by e.org_id, e.lease_id
  on conflict (org_id, idempotency_key) do nothing;

  select coalesce(jsonb_agg(x), '[]') into v_out from (
    select p.id as payment_id, p.org_id, p.lease_id, p.resident_id, p.amount_minor, p.currency,
           p.application_fee_minor, p.stripe_account_id, p.idempotency_key,
           a.stripe_customer_id, a.stripe_payment_method_id
    from public.payments p
    join public.autopay_enrollments a on a.org_id = p.org_id and a.lease_id = p.lease_id and a.resident_id = p.resident_id
    where p.autopay and p.status = 'pending' and p.stripe_payment_intent_id is null
      and p.created_at > now() - interval '23 hours' and a.stripe_payment_method_id is not null
    order by p.created_at
    limit p_limit
  ) x;
  return v_out;
end;
$$;
comment on function public.claim_autopay_payments(integer) is
  'Autopay (service role: autopay-run): one payment per lease on autopay and rent period posted in the last days; returns those still to charge.';
revoke execute on function public.claim_autopay_payments(integer) from public, anon, authenticated;
grant execute on function public.claim_autopay_payments(integer) to service_role;

create index payments_autopay_pending_idx on public.payments (created_at) where autopay and status = 'pending' and stripe_payment_intent_id is null;

-- Receipts -----------------------------------------------------------------------------------
-- PDFs at receipts/<org_id>/<lease_id>/<payment_id>.pdf, written by the webhook (service role);
-- read by the org's finance staff and by the resident who paid.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('receipts', 'receipts', false, 1048576, array['application/pdf'])
on conflict (id) do nothing;

create or replace function private.can_read_receipt(p_name text, p_org_id uuid, p_is_finance boolean, p_resident_id uuid)
returns boolean
language sql stable
set search_path = ''
as $$
  select coalesce((
    select array_length(f.folders, 1) = 2
       and f.folders[1] = p_org_id::text
       and exists (
         select 1 from public.payments p
         where p.org_id = p_org_id
           and p.lease_id::text = f.folders[2]
           and p.id = case when f.file ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.pdf$' then left(f.file, 36)::uuid end
           and (p_is_finance or p.resident_id = p_resident_id)
       )
    from (select storage.foldername(p_name) as folders, storage.filename(p_name) as file) as f
  ), false)
$$;
comment on function private.can_read_receipt(text, uuid, boolean, uuid) is
  'Whether storage object p_name in receipts is the receipt of a payment of org p_org_id that finance staff (p_is_finance) or the paying resident may read.';
revoke execute on function private.can_read_receipt(text, uuid, boolean, uuid) from public, anon;
grant execute on function private.can_read_receipt(text, uuid, boolean, uuid) to authenticated;

create policy "objects: finance staff and the payer can select receipts" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'receipts'
    and private.can_read_receipt(
      name,
      (select private.current_org_id()),
      (select private.has_org_role(array['owner', 'admin', 'manager', 'viewer'])),
      (select private.current_resident_id())
    )
  );
