-- Demo data for `npm start` and `supabase db reset`: two orgs with a login for every role, a
-- portfolio each, 12 months of rent history with a few late payers, and maintenance requests.
-- Every login's password is lintel-demo-password. Applied once, after the migrations.

-- Logins, with the columns GoTrue expects ('' rather than NULL for unused tokens).
insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, confirmation_token,
  recovery_token, email_change_token_new, email_change, email_change_token_current, phone_change,
  phone_change_token, reauthentication_token, raw_app_meta_data, raw_user_meta_data,
  created_at, updated_at, is_sso_user, is_anonymous
)
select
  '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', u.email,
  extensions.crypt('lintel-demo-password', extensions.gen_salt('bf', 10)), now(), '', '', '', '', '', '', '', '',
  '{"provider":"email","providers":["email"]}', jsonb_build_object('full_name', u.full_name),
  now() - interval '400 days', now(), false, false
from (values
  ('owner@acme.test', 'Olivia Acheson'), ('admin@acme.test', 'Adam Price'), ('manager@acme.test', 'Maya Ortiz'),
  ('maintenance@acme.test', 'Marco Diaz'), ('viewer@acme.test', 'Vera Lin'), ('resident@acme.test', 'Rosa Alvarez'),
  ('owner@birch.test', 'Oscar Birch'), ('admin@birch.test', 'Ada Nguyen'), ('manager@birch.test', 'Mia Kowalski'),
  ('maintenance@birch.test', 'Milo Grant'), ('viewer@birch.test', 'Victor Hale'), ('resident@birch.test', 'Ruth Okafor'),
  ('consultant@lintel.test', 'Casey Morgan')
) as u (email, full_name);

insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select u.id::text, u.id,
  jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true, 'phone_verified', false),
  'email', now(), u.created_at, now()
from auth.users u
where u.email like '%.test';

insert into public.organizations (name, slug, currency, timezone, plan, unit_limit, default_late_fee_minor, default_grace_days, billing_email)
values
  ('Acme Property Co', 'acme', 'USD', 'America/Chicago', 'growth', 500, 7500, 5, 'owner@acme.test'),
  ('Birchwood Rentals', 'birchwood', 'USD', 'America/New_York', 'starter', 100, 5000, 3, 'owner@birch.test');

insert into public.memberships (org_id, user_id, role, created_at)
select o.id, u.id, split_part(u.email, '@', 1), now() - interval '400 days'
from auth.users u
join public.organizations o on o.slug = case split_part(u.email, '@', 2) when 'acme.test' then 'acme' else 'birchwood' end
where u.email like '%@acme.test' or u.email like '%@birch.test';
insert into public.memberships (org_id, user_id, role, created_at)
select o.id, u.id, m.role, now() - interval '200 days'
from auth.users u, (values ('acme', 'manager'), ('birchwood', 'viewer')) as m (slug, role)
join public.organizations o on o.slug = m.slug
where u.email = 'consultant@lintel.test';
update public.profiles p set active_org_id = m.org_id
from public.memberships m
where m.user_id = p.user_id and m.org_id = (
  select m2.org_id from public.memberships m2 join public.organizations o on o.id = m2.org_id
  where m2.user_id = p.user_id order by o.slug limit 1
);

insert into public.properties (org_id, name, address_line1, city, region, postal_code, country)
select o.id, p.name, p.address, p.city, p.region, p.postal, 'US'
from (values
  ('acme', 'Maple Court', '120 Maple Ave', 'Chicago', 'IL', '60614'),
  ('acme', 'Riverside Lofts', '800 W Kinzie St', 'Chicago', 'IL', '60642'),
  ('acme', 'Oak Park Townhomes', '45 Lake St', 'Oak Park', 'IL', '60302'),
  ('birchwood', 'Birchwood Commons', '17 Elm St', 'Burlington', 'VT', '05401'),
  ('birchwood', 'Lakeview Cottages', '3 Shore Rd', 'Colchester', 'VT', '05446')
) as p (slug, name, address, city, region, postal)
join public.organizations o on o.slug = p.slug;

-- 10 / 8 / 6 units for Acme's properties, 8 / 4 for Birchwood's.
insert into public.units (org_id, property_id, label, bedrooms, bathrooms, square_feet, market_rent_minor)
select p.org_id, p.id, 'Unit ' || (100 * ((n - 1) / 4 + 1) + (n - 1) % 4 + 1),
  1 + n % 3, 1 + (n % 2) * 0.5, 650 + 150 * (n % 3),
  case p.name when 'Riverside Lofts' then 210000 when 'Oak Park Townhomes' then 265000
    when 'Lakeview Cottages' then 185000 else 145000 end + 10000 * (n % 3)
from public.properties p
cross join lateral generate_series(1, case p.name when 'Maple Court' then 10 when 'Riverside Lofts' then 8
  when 'Oak Park Townhomes' then 6 when 'Birchwood Commons' then 8 else 4 end) as n;

-- A resident for all but two units of each org (those stay vacant).
insert into public.residents (org_id, full_name, email, phone)
select u.org_id, r.first || ' ' || r.last,
  lower(r.first || '.' || r.last || '@example.com'), '+1-555-01' || lpad((row_number() over ())::text, 2, '0')
from (
  select u.*, row_number() over (partition by u.org_id order by u.label, u.id) as rn,
         count(*) over (partition by u.org_id) as total
  from public.units u
) u
cross join lateral (
  select (array['James','Linda','Robert','Patricia','Michael','Jennifer','David','Elizabeth','William','Susan',
                'Richard','Jessica','Joseph','Sarah','Thomas','Karen','Charles','Nancy','Daniel','Lisa',
                'Matthew','Betty','Anthony','Sandra','Mark','Ashley','Paul','Emily','Steven','Donna'])[1 + (u.rn::int * 7) % 30] as first,
         (array['Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis','Rodriguez','Martinez',
                'Hernandez','Lopez','Gonzalez','Wilson','Anderson','Taylor','Moore','Jackson','Martin','Lee'])[1 + (u.rn::int * 3 + length(u.label)) % 20] as last
) r
where u.rn <= u.total - 2;

-- The resident logins are residents too.
update public.residents r set user_id = u.id, full_name = p.full_name, email = u.email
from auth.users u
join public.profiles p on p.user_id = u.id
where u.email = case (select slug from public.organizations o where o.id = r.org_id)
    when 'acme' then 'resident@acme.test' else 'resident@birch.test' end
  and r.id = (select r2.id from public.residents r2 where r2.org_id = r.org_id order by r2.created_at, r2.id limit 1);

-- One active lease per occupied unit, started about a year ago (some mid-month: prorated).
with numbered as (
  select r.id as resident_id, r.org_id, row_number() over (partition by r.org_id order by r.user_id nulls last, r.id) as rn
  from public.residents r
),
units_numbered as (
  select u.id as unit_id, u.org_id, u.market_rent_minor, row_number() over (partition by u.org_id order by u.label, u.id) as rn
  from public.units u
),
inserted as (
  insert into public.leases (org_id, unit_id, status, start_date, end_date, rent_minor, deposit_minor, due_day, grace_days, late_fee_minor)
  select un.org_id, un.unit_id, 'active',
    (date_trunc('month', current_date) - interval '12 months')::date + case when n.rn % 5 = 3 then 14 else 0 end,
    case when n.rn % 4 = 0 then null
      else ((date_trunc('month', current_date) - interval '12 months') + interval '24 months' - interval '1 day')::date end,
    un.market_rent_minor, un.market_rent_minor, 1, o.default_grace_days, o.default_late_fee_minor
  from numbered n
  join units_numbered un on un.org_id = n.org_id and un.rn = n.rn
  join public.organizations o on o.id = n.org_id
  returning id, org_id, unit_id
)
insert into public.lease_residents (org_id, lease_id, resident_id, is_primary)
select i.org_id, i.id, n.resident_id, true
from inserted i
join units_numbered un on un.unit_id = i.unit_id
join numbered n on n.org_id = i.org_id and n.rn = un.rn;

-- Twelve months of history: rent on the 1st, most residents pay on the 2nd, late fees after the
-- grace days, late payers settle on the 12th and one chronic payer in each org pays half.
do $$
declare
  v_month date;
  v_pass integer;
  v_lease record;
  v_payment uuid;
  v_pay_day date;
begin
  for v_month in
    select generate_series(date_trunc('month', current_date) - interval '11 months', date_trunc('month', current_date), interval '1 month')::date
  loop
    -- Each org's rent run as of the 1st (rent due then), the 7th (late fees) and the 15th (the
    -- first, prorated rent of the leases that started mid-month, due on their first day).
    perform private.post_rent(o.id, v_month) from public.organizations o;
    -- Pass 1: on-time payers; then the late-fee run; pass 2: late payers.
    for v_pass in 1..2 loop
      if v_pass = 2 and v_month + 6 <= current_date then
        perform private.post_rent(o.id, v_month + 6) from public.organizations o;
      end if;
      for v_lease in
        select l.*, row_number() over (partition by l.org_id order by l.start_date, l.id) as rn
        from public.leases l where l.status = 'active'
      loop
        -- rn 2 and 5 pay late every third month; rn 7 is the chronic late payer who pays half.
        v_pay_day := case
          when v_lease.rn = 7 then v_month + 11
          when v_lease.rn in (2, 5) and extract(month from v_month)::int % 3 = 0 then v_month + 11
          else v_month + 1 end;
        continue when (v_pass = 1) <> (v_pay_day = v_month + 1) or v_pay_day > current_date or v_lease.balance_minor <= 0;
        insert into public.payments (org_id, lease_id, resident_id, status, amount_minor, currency, method, stripe_payment_intent_id, created_at)
        select v_lease.org_id, v_lease.id, lr.resident_id, 'processing',
          case when v_lease.rn = 7 then greatest(v_lease.balance_minor / 2, 1) else v_lease.balance_minor end,
          v_lease.currency, case when v_lease.rn % 3 = 0 then 'ach' else 'card' end,
          'pi_seed_' || replace(v_lease.id::text, '-', '') || '_' || to_char(v_month, 'YYYYMM'),
          v_pay_day + time '10:30'
        from public.lease_residents lr where lr.lease_id = v_lease.id and lr.is_primary
        returning id into v_payment;
        perform public.record_payment_succeeded(v_payment, v_pay_day);
      end loop;
    end loop;
    if v_month + 14 <= current_date then
      perform private.post_rent(o.id, v_month + 14) from public.organizations o;
    end if;
  end loop;
end
$$;

-- Maintenance: open and closed requests, with comments and a check-in.
insert into public.maintenance_requests (org_id, unit_id, resident_id, title, description, category, priority, status, created_by, created_at)
select l.org_id, l.unit_id, lr.resident_id, t.title, t.description, t.category, t.priority, 'open', r.user_id,
  now() - t.age
from (values
  (1, 'Kitchen sink drains slowly', 'Water pools for a few minutes after washing dishes.', 'plumbing', 'normal', interval '3 days'),
  (2, 'Bedroom outlet not working', 'The outlet by the window has no power since yesterday.', 'electrical', 'high', interval '1 day'),
  (3, 'Heating makes a loud banging noise', 'Radiator bangs every morning around 6am.', 'hvac', 'normal', interval '20 days'),
  (4, 'Dishwasher leaking', 'Small puddle under the dishwasher after each cycle.', 'appliance', 'high', interval '45 days'),
  (5, 'Front door lock sticks', 'Key is hard to turn in the front door lock.', 'locks', 'low', interval '90 days'),
  (6, 'No hot water', 'No hot water in the bathroom since this morning.', 'plumbing', 'emergency', interval '2 hours')
) as t (n, title, description, category, priority, age)
join (
  select l.*, row_number() over (partition by l.org_id order by l.start_date, l.id) as rn from public.leases l
) l on l.rn = t.n
join public.lease_residents lr on lr.lease_id = l.id and lr.is_primary
join public.residents r on r.id = lr.resident_id;

update public.maintenance_requests m set status = 'in_progress', assigned_to = u.id
from auth.users u
where m.title = 'Heating makes a loud banging noise'
  and u.email = case (select slug from public.organizations where id = m.org_id) when 'acme' then 'maintenance@acme.test' else 'maintenance@birch.test' end;
update public.maintenance_requests m set status = 'completed', assigned_to = u.id
from auth.users u
where m.title in ('Dishwasher leaking', 'Front door lock sticks')
  and u.email = case (select slug from public.organizations where id = m.org_id) when 'acme' then 'maintenance@acme.test' else 'maintenance@birch.test' end;

insert into public.maintenance_events (org_id, request_id, kind, body, is_internal, author_id, created_at)
select m.org_id, m.id, e.kind, e.body, e.internal,
  case when e.by_staff then m.assigned_to else m.created_by end, m.created_at + e.after
from public.maintenance_requests m
join (values
  ('Heating makes a loud banging noise', 'comment', 'Scheduled a visit for Thursday morning.', false, true, interval '1 day'),
  ('Heating makes a loud banging noise', 'comment', 'Thursday works, thank you!', false, false, interval '1 day 2 hours'),
  ('Heating makes a loud banging noise', 'check_in', null, false, true, interval '3 days'),
  ('Heating makes a loud banging noise', 'comment', 'Air in the lines; bled radiators, needs a valve part.', true, true, interval '3 days 1 hour'),
  ('Dishwasher leaking', 'comment', 'Replaced the door gasket.', false, true, interval '2 days'),
  ('Front door lock sticks', 'comment', 'Lubricated and re-keyed the cylinder.', false, true, interval '1 day')
) as e (title, kind, body, internal, by_staff, after) on e.title = m.title;

insert into public.notifications (org_id, user_id, kind, title, body, link, created_at)
select r.org_id, r.user_id, n.kind, n.title, n.body, n.link, now() - n.age
from public.residents r
cross join (values
  ('rent.upcoming', 'Rent is due soon', 'Your rent is due on the 1st.', '/portal/pay', interval '4 days'),
  ('maintenance.updated', 'Request updated', 'A technician has been scheduled.', '/portal/maintenance', interval '1 day')
) as n (kind, title, body, link, age)
where r.user_id is not null;
