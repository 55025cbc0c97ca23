-- Money: payments and the append-only ledger. A lease's balance is the sum of its entries, kept
-- in the same transaction; entries are written only by security-definer functions.

create table public.payments (
  id uuid not null default gen_random_uuid(),
  org_id uuid not null,
  lease_id uuid not null,
  resident_id uuid,
  status text not null default 'pending',
  amount_minor bigint not null,
  currency text not null,
  method text not null default 'card',
  stripe_payment_intent_id text,
  failure_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint payments_pkey primary key (id),
  constraint payments_org_id_id_key unique (org_id, id),
  constraint payments_stripe_payment_intent_id_key unique (stripe_payment_intent_id),
  constraint payments_org_id_lease_id_fkey foreign key (org_id, lease_id) references public.leases (org_id, id),
  constraint payments_org_id_resident_id_fkey foreign key (org_id, resident_id) references public.residents (org_id, id),
  constraint payments_status_check check (status in ('pending', 'processing', 'succeeded', 'failed', 'canceled', 'refunded')),
  constraint payments_amount_minor_check check (amount_minor > 0),
  constraint payments_currency_check check (currency ~ '^[A-Z]{3}$'),
  constraint payments_method_check check (method in ('card', 'ach', 'cash', 'check', 'other'))
);
comment on table public.payments is 'A resident payment attempt (Stripe or recorded offline). Its ledger entry is posted once, when it succeeds.';
comment on column public.payments.stripe_payment_intent_id is 'Stripe PaymentIntent id; the webhook''s ledger idempotency key is stripe:<this>.';
create index payments_org_id_lease_id_idx on public.payments (org_id, lease_id, created_at desc);
create index payments_org_id_resident_id_idx on public.payments (org_id, resident_id);
create index payments_org_id_status_idx on public.payments (org_id, status, created_at desc);
create trigger payments_before_update_touch before update on public.payments
  for each row execute function private.tg_touch_updated_at();

create table public.ledger_entries (
  -- A time-ordered (RFC 9562 v7) id keeps inserts at the right edge of the key indexes; inline, as
  -- a function with a search_path is not inlined (0.5 s CPU per 100k entries), and uuidv7() is 18+.
  id uuid not null default encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
        placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
        from 1 for 6),
      52, 1), 53, 1),
    'hex')::uuid,
  org_id uuid not null,
  lease_id uuid not null,
  kind text not null,
  amount_minor bigint not null,
  currency text not null,
  effective_date date not null default current_date,
  period_start date,
  period_end date,
  description text not null default '',
  idempotency_key text not null,
  reverses_entry_id uuid,
  payment_id uuid,
  created_by uuid,
  created_at timestamptz not null default now(),
  constraint ledger_entries_pkey primary key (id),
  constraint ledger_entries_org_id_id_key unique (org_id, id),
  constraint ledger_entries_org_id_idempotency_key_key unique (org_id, idempotency_key),
  -- each entry is reversed at most once; org_id leading lets this key cover the foreign key below
  constraint ledger_entries_org_id_reverses_entry_id_key unique (org_id, reverses_entry_id),
  constraint ledger_entries_org_id_lease_id_fkey foreign key (org_id, lease_id) references public.leases (org_id, id),
  constraint ledger_entries_org_id_reverses_entry_id_fkey foreign key (org_id, reverses_entry_id) references public.ledger_entries (org_id, id),
  constraint ledger_entries_org_id_payment_id_fkey foreign key (org_id, payment_id) references public.payments (org_id, id),
  constraint ledger_entries_kind_check check (kind in ('rent', 'late_fee', 'charge', 'credit', 'payment', 'refund', 'reversal')),
  constraint ledger_entries_amount_minor_check check (
    (kind in ('rent', 'late_fee', 'charge', 'refund') and amount_minor > 0)
    or (kind in ('credit', 'payment') and amount_minor < 0)
    or (kind = 'reversal' and amount_minor <> 0)
  ),
  constraint ledger_entries_reversal_check check ((kind = 'reversal') = (reverses_entry_id is not null)),
  constraint ledger_entries_period_check check ((period_start is null) = (period_end is null) and (period_end is null or period_end >= period_start)),
  constraint ledger_entries_currency_check check (currency ~ '^[A-Z]{3}$'),
  constraint ledger_entries_idempotency_key_check check (char_length(idempotency_key) between 1 and 200)
);
comment on table public.ledger_entries is 'Append-only money movements on a lease, in the org''s currency minor units; positive = owed by the residents. Corrections are reversal entries.';
comment on column public.ledger_entries.idempotency_key is 'Unique per org: rent:<lease>:<YYYY-MM>, late:<lease>:<YYYY-MM>, stripe:<payment_intent>, or the client''s key for manual entries.';
comment on column public.ledger_entries.reverses_entry_id is 'For kind = reversal: the entry this one cancels (each entry at most once).';
comment on column public.ledger_entries.period_start is 'For rent and late fees: the rent period the entry belongs to.';
create index ledger_entries_org_id_lease_id_idx on public.ledger_entries (org_id, lease_id, effective_date);
create index ledger_entries_org_id_effective_date_idx on public.ledger_entries (org_id, effective_date);
create index ledger_entries_org_id_payment_id_idx on public.ledger_entries (org_id, payment_id) where payment_id is not null;

create trigger ledger_entries_before_update_reject before update or delete on public.ledger_entries
  for each row execute function private.tg_reject_change();
create trigger ledger_entries_before_truncate_reject before truncate on public.ledger_entries
  for each statement execute function private.tg_reject_change();

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
create trigger ledger_entries_after_insert_balance after insert on public.ledger_entries
  referencing new table as new_entries for each statement execute function private.tg_apply_ledger_balance();

alter table public.payments enable row level security;
alter table public.ledger_entries enable row level security;
revoke all on public.payments, public.ledger_entries from anon;
revoke insert, update, delete, truncate on public.payments from authenticated;
-- Not even the service role writes the ledger directly: post_ledger_entry, run_rent_charges and
-- record_payment are the only way in.
revoke insert, update, delete, truncate on public.ledger_entries from authenticated, service_role;

create policy "payments: finance staff select own org, residents their leases" on public.payments
  for select to authenticated
  using (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'viewer']))
      or lease_id = any ((select private.current_resident_lease_ids())::uuid[])
    )
  );
create policy "ledger_entries: finance staff select own org, residents theirs" on public.ledger_entries
  for select to authenticated
  using (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'viewer']))
      or lease_id = any ((select private.current_resident_lease_ids())::uuid[])
    )
  );

-- Internal: inserts one entry idempotently and returns it (new or the earlier one with the same
-- key). Callers have done their permission checks.
create or replace function private.insert_ledger_entry(
  p_org_id uuid,
  p_lease_id uuid,
  p_kind text,
  p_amount_minor bigint,
  p_idempotency_key text,
  p_description text default '',
  p_effective_date date default current_date,
  p_reverses_entry_id uuid default null,
  p_payment_id uuid default null,
  p_period_start date default null,
  p_period_end date default null
) returns public.ledger_entries
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_entry public.ledger_entries;
  v_currency text;
begin
  select l.currency into v_currency from public.leases l where l.id = p_lease_id and l.org_id = p_org_id;
  if v_currency is null then
    raise exception 'lease not found' using errcode = 'LT404';
  end if;
  insert into public.ledger_entries as e (
    org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end,
    description, idempotency_key, reverses_entry_id, payment_id, created_by
  ) values (
    p_org_id, p_lease_id, p_kind, p_amount_minor, v_currency, coalesce(p_effective_date, current_date),
    p_period_start, p_period_end, coalesce(p_description, ''), p_idempotency_key, p_reverses_entry_id,
    p_payment_id, private.current_user_id()
  )
  on conflict (org_id, idempotency_key) do nothing
  returning * into v_entry;
  if v_entry.id is null then
    -- A retry (or a concurrent twin that won): answer with the first entry if it is the same.
    select * into v_entry from public.ledger_entries e
    where e.org_id = p_org_id and e.idempotency_key = p_idempotency_key;
    if v_entry.lease_id <> p_lease_id or v_entry.kind <> p_kind or v_entry.amount_minor <> p_amount_minor then
      raise exception 'idempotency key % was already used for a different entry', p_idempotency_key
        using errcode = 'LT409', hint = 'Use a new key for a new entry.';
    end if;
  end if;
  return v_entry;
end;
$$;
revoke execute on function private.insert_ledger_entry(uuid, uuid, text, bigint, text, text, date, uuid, uuid, date, date) from public;

create or replace function private.post_ledger_entry(
  p_lease_id uuid,
  p_kind text,
  p_amount_minor bigint,
  p_idempotency_key text,
  p_description text,
  p_effective_date date,
  p_reverses_entry_id uuid
) returns public.ledger_entries
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid := private.current_org_id();
  v_original public.ledger_entries;
  v_amount bigint := p_amount_minor;
begin
  if private.current_user_id() is null then
    raise exception 'sign in first' using errcode = 'LT401';
  end if;
  if not private.has_org_role(array['owner', 'admin', 'manager']) then
    raise exception 'only owners, admins and managers post ledger entries' using errcode = 'LT403';
  end if;
  if p_kind not in ('charge', 'credit', 'reversal') then
    raise exception 'manual entries are charges, credits or reversals, not %', p_kind
      using errcode = 'LT422', hint = 'Rent and late fees come from the rent run, payments from Stripe.';
  end if;
  if p_idempotency_key is null or char_length(p_idempotency_key) not between 8 and 200
     or p_idempotency_key ~ '^(rent|late|stripe):' then
    raise exception 'a client idempotency key of 8-200 characters is required' using errcode = 'LT422';
  end if;
  if not exists (select 1 from public.leases where id = p_lease_id and org_id = v_org) then
    raise exception 'lease not found' using errcode = 'LT404';
  end if;
  if p_kind = 'reversal' then
    select * into v_original from public.ledger_entries
    where id = p_reverses_entry_id and org_id = v_org and lease_id = p_lease_id;
    if v_original.id is null then
      raise exception 'entry to reverse not found on this lease' using errcode = 'LT404';
    end if;
    if v_original.kind = 'reversal' then
      raise exception 'a reversal cannot be reversed; post a new entry' using errcode = 'LT422';
    end if;
    v_amount := -v_original.amount_minor;
  else
    if p_reverses_entry_id is not null then
      raise exception 'only reversals reference an entry' using errcode = 'LT422';
    end if;
    if v_amount is null or v_amount <= 0 then
      raise exception 'amount must be a positive number of minor units' using errcode = 'LT422';
    end if;
    if p_kind = 'credit' then
      v_amount := -v_amount;
    end if;
  end if;
  perform set_config('lintel.via', 'post_ledger_entry', true);
  begin
    return private.insert_ledger_entry(v_org, p_lease_id, p_kind, v_amount, 'manual:' || p_idempotency_key,
      coalesce(p_description, ''), p_effective_date, p_reverses_entry_id);
  exception when unique_violation then
    -- The only other unique key: this entry was already reversed (under another client key).
    raise exception 'this entry has already been reversed' using errcode = 'LT409';
  end;
end;
$$;
revoke execute on function private.post_ledger_entry(uuid, text, bigint, text, text, date, uuid) from public;
grant execute on function private.post_ledger_entry(uuid, text, bigint, text, text, date, uuid) to authenticated;

create or replace function public.post_ledger_entry(
  p_lease_id uuid,
  p_kind text,
  p_amount_minor bigint,
  p_idempotency_key text,
  p_description text default '',
  p_effective_date date default current_date,
  p_reverses_entry_id uuid default null
) returns public.ledger_entries
language sql
set search_path = ''
as $$
  select private.post_ledger_entry(p_lease_id, p_kind, p_amount_minor, p_idempotency_key, p_description,
    p_effective_date, p_reverses_entry_id)
$$;
comment on function public.post_ledger_entry(uuid, text, bigint, text, text, date, uuid) is
  'Manual charge, credit or reversal on a lease (owner/admin/manager). p_amount_minor is positive; a reversal''s amount is the original''s, negated. Idempotent on p_idempotency_key.';
revoke execute on function public.post_ledger_entry(uuid, text, bigint, text, text, date, uuid) from public, anon, service_role;
grant execute on function public.post_ledger_entry(uuid, text, bigint, text, text, date, uuid) to authenticated;

-- Payments recorded by the Stripe webhook (service role) or offline by staff flow through here.
create or replace function public.record_payment_succeeded(p_payment_id uuid, p_effective_date date default current_date)
returns public.ledger_entries
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_payment public.payments;
begin
  select * into v_payment from public.payments where id = p_payment_id for update;
  if v_payment.id is null then
    raise exception 'payment not found' using errcode = 'LT404';
  end if;
  if v_payment.status in ('failed', 'canceled') then
    raise exception 'payment % is %', p_payment_id, v_payment.status using errcode = 'LT409';
  end if;
  update public.payments set status = 'succeeded' where id = p_payment_id and status <> 'succeeded';
  perform set_config('lintel.via', 'record_payment_succeeded', true);
  return private.insert_ledger_entry(
    v_payment.org_id, v_payment.lease_id, 'payment', -v_payment.amount_minor,
    coalesce('stripe:' || v_payment.stripe_payment_intent_id, 'payment:' || v_payment.id),
    'Payment received', p_effective_date, null, v_payment.id);
end;
$$;
comment on function public.record_payment_succeeded(uuid, date) is
  'Marks a payment succeeded and posts its ledger entry exactly once (service role: the Stripe webhook).';
revoke execute on function public.record_payment_succeeded(uuid, date) from public, anon, authenticated;
grant execute on function public.record_payment_succeeded(uuid, date) to service_role;
