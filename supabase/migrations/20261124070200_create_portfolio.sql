-- Properties, units, residents, leases and the residents on each lease. Cross-row references
-- carry org_id in composite foreign keys, so a row can only point inside its own org.

create table public.properties (
  id uuid not null default gen_random_uuid(),
  org_id uuid not null default private.current_org_id(),
  name text not null,
  address_line1 text not null default '',
  address_line2 text,
  city text not null default '',
  region text,
  postal_code text,
  country text not null default 'US',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint properties_pkey primary key (id),
  constraint properties_org_id_id_key unique (org_id, id),
  constraint properties_org_id_fkey foreign key (org_id) references public.organizations (id) on delete cascade,
  constraint properties_name_check check (char_length(btrim(name)) between 1 and 200),
  constraint properties_country_check check (country ~ '^[A-Z]{2}$')
);
comment on table public.properties is 'A building or site an org manages.';
create trigger properties_before_update_touch before update on public.properties
  for each row execute function private.tg_touch_updated_at();

create table public.units (
  id uuid not null default gen_random_uuid(),
  org_id uuid not null default private.current_org_id(),
  property_id uuid not null,
  label text not null,
  bedrooms smallint not null default 1,
  bathrooms numeric(3, 1) not null default 1,
  square_feet integer,
  market_rent_minor bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint units_pkey primary key (id),
  constraint units_org_id_id_key unique (org_id, id),
  constraint units_org_id_property_id_label_key unique (org_id, property_id, label),
  constraint units_org_id_property_id_fkey foreign key (org_id, property_id) references public.properties (org_id, id),
  constraint units_label_check check (char_length(btrim(label)) between 1 and 50),
  constraint units_bedrooms_check check (bedrooms between 0 and 20),
  constraint units_bathrooms_check check (bathrooms between 0 and 20),
  constraint units_square_feet_check check (square_feet is null or square_feet > 0),
  constraint units_market_rent_minor_check check (market_rent_minor is null or market_rent_minor > 0)
);
comment on table public.units is 'A rentable space in a property. The org''s plan caps how many it may have (organizations.unit_limit).';
comment on column public.units.market_rent_minor is 'Asking rent in the org''s currency minor units.';
create trigger units_before_update_touch before update on public.units
  for each row execute function private.tg_touch_updated_at();

create or replace function private.tg_count_units() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_over text;
begin
  -- One counter row per org: the update takes its row lock, so concurrent inserts queue and
  -- the limit holds under concurrency; statement-level so a bulk import is one update per org.
  if tg_op = 'INSERT' then
    with n as (select org_id, count(*) as c from new_units group by org_id)
    update public.organizations o set unit_count = o.unit_count + n.c from n where o.id = n.org_id;
    select o.name into v_over
    from public.organizations o
    where o.id in (select org_id from new_units) and o.unit_count > o.unit_limit
    limit 1;
    if v_over is not null then
      raise exception 'the plan''s unit limit is reached for %', v_over
        using errcode = 'LT429', hint = 'Upgrade the plan or archive units first.';
    end if;
  else
    with n as (select org_id, count(*) as c from old_units group by org_id)
    update public.organizations o set unit_count = greatest(o.unit_count - n.c, 0) from n where o.id = n.org_id;
  end if;
  return null;
end;
$$;
create trigger units_after_insert_count after insert on public.units
  referencing new table as new_units for each statement execute function private.tg_count_units();
create trigger units_after_delete_count after delete on public.units
  referencing old table as old_units for each statement execute function private.tg_count_units();

create table public.residents (
  id uuid not null default gen_random_uuid(),
  org_id uuid not null default private.current_org_id(),
  user_id uuid,
  full_name text not null,
  email text,
  phone text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint residents_pkey primary key (id),
  constraint residents_org_id_id_key unique (org_id, id),
  constraint residents_org_id_user_id_key unique (org_id, user_id),
  constraint residents_org_id_fkey foreign key (org_id) references public.organizations (id) on delete cascade,
  constraint residents_user_id_fkey foreign key (user_id) references auth.users (id) on delete set null,
  constraint residents_full_name_check check (char_length(btrim(full_name)) between 1 and 200),
  constraint residents_email_check check (email is null or email ~ '^[^@\s]+@[^@\s]+$')
);
comment on table public.residents is 'A person renting from the org (the industry''s "tenant"). Holds personal data: staff with portfolio rights and the resident only.';
comment on column public.residents.user_id is 'The resident''s login, once they accepted a resident invitation; the token hook puts this row''s id in resident_id.';
create index residents_user_id_idx on public.residents (user_id);
create trigger residents_before_update_touch before update on public.residents
  for each row execute function private.tg_touch_updated_at();

create table public.leases (
  id uuid not null default gen_random_uuid(),
  org_id uuid not null default private.current_org_id(),
  unit_id uuid not null,
  status text not null default 'draft',
  start_date date not null,
  end_date date,
  rent_minor bigint not null,
  deposit_minor bigint not null default 0,
  currency text not null default 'USD',
  due_day smallint not null default 1,
  grace_days smallint not null default 5,
  late_fee_minor bigint not null default 0,
  balance_minor bigint not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- kept by the ledger's balance trigger, read by the rent run (add_rent_run)
  rent_posted_period date,
  late_fee_posted_period date,
  constraint leases_pkey primary key (id),
  constraint leases_org_id_id_key unique (org_id, id),
  constraint leases_org_id_unit_id_fkey foreign key (org_id, unit_id) references public.units (org_id, id),
  constraint leases_status_check check (status in ('draft', 'active', 'ended', 'terminated')),
  constraint leases_end_date_check check (end_date is null or end_date > start_date),
  constraint leases_rent_minor_check check (rent_minor > 0),
  constraint leases_deposit_minor_check check (deposit_minor >= 0),
  constraint leases_currency_check check (currency ~ '^[A-Z]{3}$'),
  constraint leases_due_day_check check (due_day between 1 and 28),
  constraint leases_grace_days_check check (grace_days between 0 and 31),
  constraint leases_late_fee_minor_check check (late_fee_minor >= 0)
)
-- A rent run updates every active lease's balance (twice when late fees follow): half-empty
-- pages keep those updates HOT; at 80% most of them rewrote every lease index (rls.bench.ts).
with (fillfactor = 50);
comment on table public.leases is 'A resident''s (or several residents'') agreement on one unit. At most one active lease per unit.';
comment on column public.leases.end_date is 'Last day of the lease (inclusive); NULL for month-to-month.';
comment on column public.leases.currency is 'Always the org''s currency, set on insert.';
comment on column public.leases.due_day is 'Day of the month rent is due (1-28, so every month has it).';
comment on column public.leases.grace_days is 'Days after the due date before the late fee is charged.';
comment on column public.leases.balance_minor is 'Sum of the lease''s ledger entries, kept in the same transaction by a ledger trigger; positive = owed.';
comment on column public.leases.rent_posted_period is 'First day of the latest month whose rent has been posted for this lease; lets the rent run skip or plainly insert.';
comment on column public.leases.late_fee_posted_period is 'First day of the latest month whose late fee has been posted for this lease; lets the rent run skip or plainly insert.';
-- One active lease per unit at a time.
create unique index leases_unit_id_active_key on public.leases (unit_id) where status = 'active';
create index leases_org_id_unit_id_idx on public.leases (org_id, unit_id);
create index leases_org_id_status_idx on public.leases (org_id, status);
-- Balance updates come only from the ledger trigger, never with an edit: they leave updated_at
-- alone (and the audit log skips them too), so a rent run fires no per-row trigger on leases.
create trigger leases_before_update_touch before update on public.leases
  for each row when (old.balance_minor = new.balance_minor) execute function private.tg_touch_updated_at();

create or replace function private.tg_lease_currency() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  select currency into new.currency from public.organizations where id = new.org_id;
  return new;
end;
$$;
create trigger leases_before_insert_currency before insert on public.leases
  for each row execute function private.tg_lease_currency();

create table public.lease_residents (
  org_id uuid not null default private.current_org_id(),
  lease_id uuid not null,
  resident_id uuid not null,
  is_primary boolean not null default false,
  created_at timestamptz not null default now(),
  constraint lease_residents_pkey primary key (lease_id, resident_id),
  constraint lease_residents_org_id_lease_id_fkey foreign key (org_id, lease_id) references public.leases (org_id, id) on delete cascade,
  constraint lease_residents_org_id_resident_id_fkey foreign key (org_id, resident_id) references public.residents (org_id, id)
);
comment on table public.lease_residents is 'Who is on a lease (a lease may have several residents).';
create index lease_residents_org_id_resident_id_idx on public.lease_residents (org_id, resident_id);
create index lease_residents_org_id_lease_id_idx on public.lease_residents (org_id, lease_id);
create index lease_residents_resident_id_idx on public.lease_residents (resident_id);

-- Resident scope, computed once per statement (security definer: a resident cannot read the
-- lease_residents rows of co-tenants' other leases, and policies need not nest).
create or replace function private.current_resident_lease_ids() returns uuid[]
language sql stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(lr.lease_id), '{}')
  from public.lease_residents lr
  where lr.resident_id = private.current_resident_id()
    and lr.org_id = private.current_org_id()
$$;
create or replace function private.current_resident_unit_ids() returns uuid[]
language sql stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(distinct l.unit_id), '{}')
  from public.leases l
  where l.id = any (private.current_resident_lease_ids())
$$;
create or replace function private.current_resident_property_ids() returns uuid[]
language sql stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(distinct u.property_id), '{}')
  from public.units u
  where u.id = any (private.current_resident_unit_ids())
$$;
revoke execute on function private.current_resident_lease_ids(), private.current_resident_unit_ids(),
  private.current_resident_property_ids() from public;
grant execute on function private.current_resident_lease_ids(), private.current_resident_unit_ids(),
  private.current_resident_property_ids() to authenticated;

-- RLS ---------------------------------------------------------------------------------------
alter table public.properties enable row level security;
alter table public.units enable row level security;
alter table public.residents enable row level security;
alter table public.leases enable row level security;
alter table public.lease_residents enable row level security;
revoke all on public.properties, public.units, public.residents, public.leases, public.lease_residents from anon;
-- The balance and currency are the ledger's and the org's: no API role writes them.
revoke insert, update on public.leases from authenticated, service_role;
grant insert (id, org_id, unit_id, status, start_date, end_date, rent_minor, deposit_minor, due_day, grace_days, late_fee_minor)
  on public.leases to authenticated, service_role;
grant update (unit_id, status, start_date, end_date, rent_minor, deposit_minor, due_day, grace_days, late_fee_minor)
  on public.leases to authenticated, service_role;

create policy "properties: members select own org, residents their property" on public.properties
  for select to authenticated
  using (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance', 'viewer']))
      or id = any ((select private.current_resident_property_ids())::uuid[])
    )
  );
create policy "properties: portfolio staff can insert own org" on public.properties
  for insert to authenticated
  with check (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])));
create policy "properties: portfolio staff can update own org" on public.properties
  for update to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])))
  with check (org_id = (select private.current_org_id()));
create policy "properties: portfolio staff can delete own org" on public.properties
  for delete to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])));

create policy "units: members select own org, residents their unit" on public.units
  for select to authenticated
  using (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance', 'viewer']))
      or id = any ((select private.current_resident_unit_ids())::uuid[])
    )
  );
create policy "units: portfolio staff can insert own org" on public.units
  for insert to authenticated
  with check (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])));
create policy "units: portfolio staff can update own org" on public.units
  for update to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])))
  with check (org_id = (select private.current_org_id()));
create policy "units: portfolio staff can delete own org" on public.units
  for delete to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])));

create policy "residents: portfolio staff select own org, residents themselves" on public.residents
  for select to authenticated
  using (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager']))
      or id = (select private.current_resident_id())
    )
  );
create policy "residents: portfolio staff can insert own org" on public.residents
  for insert to authenticated
  with check (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])));
create policy "residents: portfolio staff can update own org" on public.residents
  for update to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])))
  with check (org_id = (select private.current_org_id()));
create policy "residents: portfolio staff can delete own org" on public.residents
  for delete to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])));

create policy "leases: leasing staff select own org, residents their leases" on public.leases
  for select to authenticated
  using (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'viewer']))
      or id = any ((select private.current_resident_lease_ids())::uuid[])
    )
  );
create policy "leases: portfolio staff can insert own org" on public.leases
  for insert to authenticated
  with check (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])));
create policy "leases: portfolio staff can update own org" on public.leases
  for update to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])))
  with check (org_id = (select private.current_org_id()));
create policy "leases: portfolio staff can delete own org" on public.leases
  for delete to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])));

create policy "lease_residents: leasing staff select own org, residents theirs" on public.lease_residents
  for select to authenticated
  using (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'viewer']))
      or resident_id = (select private.current_resident_id())
    )
  );
create policy "lease_residents: portfolio staff can insert own org" on public.lease_residents
  for insert to authenticated
  with check (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])));
create policy "lease_residents: portfolio staff can update own org" on public.lease_residents
  for update to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])))
  with check (org_id = (select private.current_org_id()));
create policy "lease_residents: portfolio staff can delete own org" on public.lease_residents
  for delete to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])));

-- The token hook reads the resident row of the signing-in user.
grant select on public.residents to supabase_auth_admin;
create policy "residents: auth admin can select for the token hook" on public.residents
  for select to supabase_auth_admin using (true);
