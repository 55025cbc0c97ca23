-- Read-only views the manager app lists from: each row with what a manager reads beside it (a
-- unit's property, current lease, residents and status). security_invoker, so RLS decides.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

create view public.property_directory with (security_invoker = true) as
select p.id, p.org_id, p.name, p.address_line1, p.address_line2, p.city, p.region, p.postal_code, p.country,
       coalesce(c.unit_count, 0) as unit_count, coalesce(c.occupied_count, 0) as occupied_count, p.created_at
from public.properties p
left join lateral (
  select count(*)::integer as unit_count, count(l.id)::integer as occupied_count
  from public.units u
  left join public.leases l on l.org_id = u.org_id and l.unit_id = u.id and l.status = 'active'
  where u.org_id = p.org_id and u.property_id = p.id
) c on true;
comment on view public.property_directory is 'Properties with their unit and occupied-unit counts (the Properties list).';

create view public.unit_directory with (security_invoker = true) as
select u.id, u.org_id, u.property_id, p.name as property_name, u.label, u.bedrooms, u.bathrooms, u.square_feet,
       u.market_rent_minor, l.id as lease_id, l.rent_minor, l.start_date as lease_start_date,
       l.end_date as lease_end_date, l.balance_minor, rs.resident_names,
       case
         when l.id is null then 'vacant'
         when l.end_date is not null and l.end_date <= (now() at time zone o.timezone)::date + 60 then 'notice'
         else 'occupied'
       end as status,
       u.created_at
from public.units u
join public.properties p on p.org_id = u.org_id and p.id = u.property_id
join public.organizations o on o.id = u.org_id
left join public.leases l on l.org_id = u.org_id and l.unit_id = u.id and l.status = 'active'
left join lateral (
  select string_agg(r.full_name, ', ' order by lr.is_primary desc, r.full_name) as resident_names
  from public.lease_residents lr
  join public.residents r on r.org_id = lr.org_id and r.id = lr.resident_id
  where lr.org_id = l.org_id and lr.lease_id = l.id
) rs on true;
comment on view public.unit_directory is 'Units with their property, active lease, residents and status: vacant, occupied, or notice (the lease ends within 60 days).';
comment on column public.unit_directory.status is 'vacant (no active lease), notice (the active lease ends within 60 days, org time) or occupied.';

create view public.resident_directory with (security_invoker = true) as
select r.id, r.org_id, r.full_name, r.email, r.phone, r.user_id is not null as has_login,
       cur.lease_id, cur.unit_id, cur.unit_label, cur.property_name, cur.lease_status,
       coalesce(bal.balance_minor, 0)::bigint as balance_minor, r.created_at
from public.residents r
left join lateral (
  select l.id as lease_id, l.unit_id, u.label as unit_label, p.name as property_name, l.status as lease_status
  from public.lease_residents lr
  join public.leases l on l.org_id = lr.org_id and l.id = lr.lease_id
  join public.units u on u.org_id = l.org_id and u.id = l.unit_id
  join public.properties p on p.org_id = u.org_id and p.id = u.property_id
  where lr.org_id = r.org_id and lr.resident_id = r.id
  order by (l.status = 'active') desc, l.start_date desc
  limit 1
) cur on true
left join lateral (
  select sum(l.balance_minor) as balance_minor
  from public.lease_residents lr
  join public.leases l on l.org_id = lr.org_id and l.id = lr.lease_id
  where lr.org_id = r.org_id and lr.resident_id = r.id
) bal on true;
comment on view public.resident_directory is 'Residents with their current (else latest) lease and the balance of all their leases (the Residents list).';

create view public.lease_directory with (security_invoker = true) as
select l.id, l.org_id, l.unit_id, u.label as unit_label, u.property_id, p.name as property_name, l.status,
       l.start_date, l.end_date, l.rent_minor, l.deposit_minor, l.currency, l.due_day, l.grace_days,
       l.late_fee_minor, l.balance_minor, rs.resident_names, coalesce(rs.resident_ids, '{}') as resident_ids,
       l.created_at
from public.leases l
join public.units u on u.org_id = l.org_id and u.id = l.unit_id
join public.properties p on p.org_id = u.org_id and p.id = u.property_id
left join lateral (
  select string_agg(r.full_name, ', ' order by lr.is_primary desc, r.full_name) as resident_names,
         array_agg(r.id order by lr.is_primary desc, r.full_name) as resident_ids
  from public.lease_residents lr
  join public.residents r on r.org_id = lr.org_id and r.id = lr.resident_id
  where lr.org_id = l.org_id and lr.lease_id = l.id
) rs on true;
comment on view public.lease_directory is 'Leases with their unit, property and residents (the Leases list).';

revoke all on public.property_directory, public.unit_directory, public.resident_directory, public.lease_directory from anon, authenticated, service_role;
grant select on public.property_directory, public.unit_directory, public.resident_directory, public.lease_directory to authenticated, service_role;
