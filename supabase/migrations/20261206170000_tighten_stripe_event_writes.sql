-- The Stripe webhook's writes, tightened:
-- 1. One UPDATE of a payment per Stripe event instead of two or three. The first event about a
--    payment used to record the PaymentIntent (and a Checkout Session) in one statement, then the
--    status in another: each statement wrote its own audit row and its own finance broadcast, and
--    together they were a sixth of the webhook's database time. Now payment_matches only checks,
--    and set_payment_status writes the ids with the status, or alone when the status does not move.
-- 2. A Checkout event retried with its PaymentIntent after LT428 applies that intent (it used to
--    raise LT428 again on every retry).
-- 3. The audit trail says where the writes came from: stripe_webhook, or autopay for the charges
--    autopay-run syncs, instead of nothing (shown as "Setup or scheduled job").
set local lock_timeout = '5s';
set local statement_timeout = '1min';

drop function private.set_payment_status(public.payments, text, timestamptz, boolean, text);

-- Moves a locked payment to p_status under the rules above; `p_current` = the object was just
-- fetched from Stripe, so it is the latest word. p_intent and p_session are the Stripe ids the
-- event names, recorded where the payment has none yet. Returns the payment as it is now.
create function private.set_payment_status(
  p_payment public.payments, p_status text, p_at timestamptz, p_current boolean, p_failure text default null,
  p_intent text default null, p_session text default null
) returns public.payments
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_from integer := private.payment_status_rank(p_payment.status);
  v_to integer := private.payment_status_rank(p_status);
  v_intent text := coalesce(p_payment.stripe_payment_intent_id, p_intent);
  v_session text := coalesce(p_payment.stripe_checkout_session_id, p_session);
  v_new_ids boolean := v_intent is distinct from p_payment.stripe_payment_intent_id
                       or v_session is distinct from p_payment.stripe_checkout_session_id;
  v_move boolean := true;
  v_payment public.payments := p_payment;
begin
  if p_status = p_payment.status then
    v_move := false;
  elsif v_from >= 3 or v_to >= 3 then
    -- final states only ever move up
    v_move := v_to > v_from;
  elsif not p_current then
    if p_at < p_payment.stripe_event_at then
      v_move := false;
    elsif p_at = p_payment.stripe_event_at then
      raise exception 'payment % has % and % from the same second', p_payment.id, p_payment.status, p_status
        using errcode = 'LT428', hint = 'Fetch the PaymentIntent from Stripe and call again with it.';
    end if;
  end if;

  if not v_move then
    if v_new_ids then
      update public.payments p
      set stripe_payment_intent_id = v_intent, stripe_checkout_session_id = v_session
      where p.id = p_payment.id
      returning * into v_payment;
    end if;
    return v_payment;
  end if;
  if p_status = 'succeeded' and v_intent is null then
    raise exception 'payment % succeeded without a PaymentIntent', p_payment.id using errcode = 'LT422';
  end if;
  update public.payments p
  set status = p_status,
      stripe_payment_intent_id = v_intent,
      stripe_checkout_session_id = v_session,
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
revoke execute on function private.set_payment_status(public.payments, text, timestamptz, boolean, text, text, text) from public;

-- Whether a Stripe object is about this payment (its account, its intent, its amount); false,
-- with a warning, when it is not, and the payment is then left alone. Writes nothing.
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
  return true;
end;
$$;

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
  perform private.set_payment_status(v_payment, private.intent_status(p_pi), p_at, p_current,
    p_pi #>> '{last_payment_error,message}', p_pi ->> 'id');
  return v_payment.id;
end;
$$;

-- Checkout in payment mode. p_intent is the session's PaymentIntent as Stripe has it now, fetched
-- by the webhook when two events of the same second left the order unclear (LT428): its status is
-- then the latest word, as for the PaymentIntent's own events. (Without it a Checkout event that
-- hit LT428 raised it again on every retry.)
drop function private.apply_checkout_payment(jsonb, text, text, timestamptz);
create function private.apply_checkout_payment(p_session jsonb, p_type text, p_account text, p_at timestamptz, p_intent jsonb default null)
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
     or not private.payment_matches(v_payment, p_account, p_session ->> 'payment_intent', (p_session ->> 'amount_total')::bigint)
     or (p_intent is not null and p_intent ->> 'id' is distinct from p_session ->> 'payment_intent') then
    return null;
  end if;
  v_status := case
    when p_intent is not null then private.intent_status(p_intent)
    when p_type = 'checkout.session.expired' then 'canceled'
    when p_type = 'checkout.session.async_payment_failed' then 'failed'
    when p_session ->> 'payment_status' = 'paid' then 'succeeded'
    else 'processing'
  end;
  perform private.set_payment_status(v_payment, v_status, p_at, p_intent is not null,
    p_intent #>> '{last_payment_error,message}', p_session ->> 'payment_intent', p_session ->> 'id');
  return v_payment.id;
end;
$$;
revoke execute on function private.apply_checkout_payment(jsonb, text, text, timestamptz, jsonb) from public;

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
  v_payment := private.set_payment_status(v_payment, 'succeeded', p_at, true, null, p_charge ->> 'payment_intent');
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
  v_payment := private.set_payment_status(v_payment, 'succeeded', p_at, true, null, p_dispute ->> 'payment_intent');
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

-- The webhook's one call per verified event, as before, except that a Checkout event retried with
-- its PaymentIntent (after LT428) now passes it on.
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
  -- Every audited write of the event (the payment, its ledger entry, an org's Connect or plan
  -- flags) says it came from Stripe, not "a setup or scheduled job".
  perform set_config('lintel.via', 'stripe_webhook', true);
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
      v_payment := private.apply_checkout_payment(v_object, v_type, v_account, v_at, p_fetched);
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

-- The payment's ledger entry keeps the caller's lintel.via (autopay's charge says autopay).
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
  perform set_config('lintel.via', coalesce(nullif(current_setting('lintel.via', true), ''), 'stripe_webhook'), true);
  perform private.insert_ledger_entry(
    p_payment.org_id, p_payment.lease_id, 'payment', -p_payment.amount_minor,
    'stripe:' || p_payment.stripe_payment_intent_id,
    case when p_payment.autopay then 'Autopay' else 'Online payment' end,
    v_day, null, p_payment.id);
end;
$$;
revoke execute on function private.post_payment_entry(public.payments) from public;


-- A PaymentIntent autopay-run just created (service role): its writes are audited as autopay.
create or replace function public.sync_payment_intent(p_payment_intent jsonb, p_account text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_payment uuid;
begin
  perform set_config('lintel.via', 'autopay', true);
  v_payment := private.apply_payment_intent(p_payment_intent, p_account, now(), true);
  return jsonb_build_object('payment_id', v_payment,
    'receipt', case when v_payment is not null then private.receipt_todo(v_payment) end);
end;
$$;

