-- Spreadsheet onboarding: import_portfolio writes a file's rows (one per unit, with optional resident and
-- lease columns) as properties, units, residents and leases in one transaction, or writes nothing.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

-- A calendar date typed as YYYY-MM-DD (years 1900-2199), or NULL: no exception handler, so checking
-- 10,000 rows opens no subtransaction per value (Supabase's PostgreSQL 15 has no pg_input_is_valid).
create or replace function private.import_date(p_value text) returns date
language sql immutable
set search_path = ''
as $$
  select case
    when p_value ~ '^(19|20|21)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$'
     and substr(p_value, 9, 2)::integer
         <= extract(day from make_date(substr(p_value, 1, 4)::integer, substr(p_value, 6, 2)::integer, 1) + interval '1 month - 1 day')
    then p_value::date
  end
$$;
comment on function private.import_date(text) is 'A YYYY-MM-DD calendar date between 1900 and 2199, or NULL when the text is not one.';

create or replace function private.import_portfolio(p_rows jsonb) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid := private.current_org_id();
  v_role text := private.assert_member(array['owner', 'admin', 'manager']);
  v_settings public.organizations;
  v_today date;
  v_total integer;
  v_errors jsonb;
  v_error_count integer;
  v_new_units integer;
  v_constraint text;
  v_result jsonb;
begin
  if p_rows is null or jsonb_typeof(p_rows) <> 'array' or jsonb_array_length(p_rows) = 0 then
    raise exception 'the file has no rows to import' using errcode = 'LT422', hint = 'Add a row per unit under the header.';
  end if;
  v_total := jsonb_array_length(p_rows);
  if v_total > 20000 then
    raise exception 'a file may have at most 20,000 rows; this one has %', v_total
      using errcode = 'LT422', hint = 'Split the file by property and import the parts one after the other.';
  end if;
  if exists (select 1 from jsonb_array_elements(p_rows) e where jsonb_typeof(e) <> 'object') then
    raise exception 'every row must be an object of column values' using errcode = 'LT422';
  end if;

  -- Two imports into one org at once would both create the same new property: the second waits.
  perform pg_advisory_xact_lock(hashtext('lintel.import_portfolio'), hashtext(v_org::text));
  perform set_config('lintel.via', 'import_portfolio', true);
  select * into v_settings from public.organizations where id = v_org;
  v_today := (now() at time zone v_settings.timezone)::date;

  -- 1. The rows, trimmed ('' is no value) and typed where the text is valid; the raw text stays for
  --    the checks. Row numbers are the file's (the header is row 1) when the client sends them.
  if to_regclass('pg_temp.lintel_import_rows') is not null then
    -- A second import in the same transaction (the tables go at commit).
    drop table pg_temp.lintel_import_rows, pg_temp.lintel_import_errors, pg_temp.lintel_import_properties,
      pg_temp.lintel_import_known_units, pg_temp.lintel_import_units, pg_temp.lintel_import_known_leases,
      pg_temp.lintel_import_leases, pg_temp.lintel_import_people, pg_temp.lintel_import_known_residents,
      pg_temp.lintel_import_residents;
  end if;
  create temp table lintel_import_rows on commit drop as
  select t.*,
    case when t.bedrooms_text ~ '^\d{1,2}$' then t.bedrooms_text::smallint end as bedrooms,
    case when t.bathrooms_text ~ '^\d{1,2}(\.\d)?$' then t.bathrooms_text::numeric(3, 1) end as bathrooms,
    case when t.square_feet_text ~ '^\d{1,9}$' then t.square_feet_text::integer end as square_feet,
    case when t.market_rent_text ~ '^\d{1,15}$' then t.market_rent_text::bigint end as market_rent_minor,
    private.import_date(t.lease_start_text) as lease_start,
    private.import_date(t.lease_end_text) as lease_end,
    case when t.rent_text ~ '^\d{1,15}$' then t.rent_text::bigint end as rent_minor,
    case when t.deposit_text ~ '^\d{1,15}$' then t.deposit_text::bigint end as deposit_minor,
    case when t.due_day_text ~ '^\d{1,2}$' then t.due_day_text::smallint end as due_day,
    coalesce(t.lease_start_text, t.lease_end_text, t.rent_text, t.deposit_text, t.due_day_text) is not null as has_lease,
    null::uuid as property_id,
    null::uuid as unit_id
  from (
    select
      case when nullif(btrim(r.row), '') ~ '^\d{1,7}$' then btrim(r.row)::integer else r.ordinality::integer + 1 end as row_no,
      nullif(btrim(r.property_name), '') as property_name,
      lower(nullif(btrim(r.property_name), '')) as property_key,
      nullif(btrim(r.address_line1), '') as address_line1,
      nullif(btrim(r.address_line2), '') as address_line2,
      nullif(btrim(r.city), '') as city,
      nullif(btrim(r.region), '') as region,
      nullif(btrim(r.postal_code), '') as postal_code,
      upper(nullif(btrim(r.country), '')) as country,
      nullif(btrim(r.unit_label), '') as unit_label,
      nullif(btrim(r.bedrooms), '') as bedrooms_text,
      nullif(btrim(r.bathrooms), '') as bathrooms_text,
      nullif(btrim(r.square_feet), '') as square_feet_text,
      nullif(btrim(r.market_rent_minor), '') as market_rent_text,
      nullif(btrim(r.resident_name), '') as resident_name,
      lower(nullif(btrim(r.resident_email), '')) as resident_email,
      nullif(btrim(r.resident_phone), '') as resident_phone,
      nullif(btrim(r.co_resident_name), '') as co_resident_name,
      lower(nullif(btrim(r.co_resident_email), '')) as co_resident_email,
      nullif(btrim(r.lease_start), '') as lease_start_text,
      nullif(btrim(r.lease_end), '') as lease_end_text,
      nullif(btrim(r.rent_minor), '') as rent_text,
      nullif(btrim(r.deposit_minor), '') as deposit_text,
      nullif(btrim(r.due_day), '') as due_day_text
    from rows from (
      jsonb_to_recordset(p_rows) as (
        "row" text, property_name text, address_line1 text, address_line2 text, city text, region text,
        postal_code text, country text, unit_label text, bedrooms text, bathrooms text, square_feet text,
        market_rent_minor text, resident_name text, resident_email text, resident_phone text,
        co_resident_name text, co_resident_email text, lease_start text, lease_end text, rent_minor text,
        deposit_minor text, due_day text)
    ) with ordinality as r
  ) t;
  analyze pg_temp.lintel_import_rows;

  -- 2. Every row's problems, as (row, column, message). Column names are the import's field names.
  create temp table lintel_import_errors (row_no integer, col text, message text) on commit drop;
  -- One array per row of 'column:message' for each rule it breaks (most rows: none), unnested.
  insert into pg_temp.lintel_import_errors (row_no, col, message)
  select r.row_no, split_part(e.problem, ':', 1), substr(e.problem, strpos(e.problem, ':') + 1)
  from pg_temp.lintel_import_rows r
  cross join lateral unnest(array_remove(array[
    case when r.property_name is null then 'property_name:Enter the property name.' end,
    case when char_length(r.property_name) > 200 then 'property_name:Keep the property name under 201 characters.' end,
    case when char_length(r.address_line1) > 200 then 'address_line1:Keep the address under 201 characters.' end,
    case when char_length(r.address_line2) > 200 then 'address_line2:Keep the address under 201 characters.' end,
    case when char_length(r.city) > 100 then 'city:Keep the city under 101 characters.' end,
    case when char_length(r.region) > 100 then 'region:Keep the state or region under 101 characters.' end,
    case when char_length(r.postal_code) > 20 then 'postal_code:Keep the postal code under 21 characters.' end,
    case when r.country !~ '^[A-Z]{2}$' then 'country:Use a two-letter country code, such as US or GB.' end,
    case when r.unit_label is null then 'unit_label:Enter the unit label, such as 1A or Unit 101.' end,
    case when char_length(r.unit_label) > 50 then 'unit_label:Keep the unit label under 51 characters.' end,
    case when r.bedrooms_text is not null and (r.bedrooms is null or r.bedrooms > 20) then 'bedrooms:Bedrooms are a whole number from 0 to 20.' end,
    case when r.bathrooms_text is not null and (r.bathrooms is null or r.bathrooms > 20) then 'bathrooms:Bathrooms are a number from 0 to 20, such as 1 or 1.5.' end,
    case when r.square_feet_text is not null and (r.square_feet is null or r.square_feet < 1) then 'square_feet:Size is a whole number above zero.' end,
    case when r.market_rent_text is not null and (r.market_rent_minor is null or r.market_rent_minor < 1) then 'market_rent:Market rent must be an amount above zero.' end,
    case when char_length(r.resident_name) > 200 then 'resident_name:Keep the name under 201 characters.' end,
    case when r.resident_email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then 'resident_email:Enter a valid email address, like name@example.com.' end,
    case when char_length(r.resident_phone) > 50 then 'resident_phone:Keep the phone number under 51 characters.' end,
    case when r.resident_name is null and (r.resident_email is not null or r.resident_phone is not null) then 'resident_name:Enter the resident’s name for this email or phone.' end,
    case when char_length(r.co_resident_name) > 200 then 'co_resident_name:Keep the name under 201 characters.' end,
    case when r.co_resident_email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then 'co_resident_email:Enter a valid email address, like name@example.com.' end,
    case when r.co_resident_name is null and r.co_resident_email is not null then 'co_resident_name:Enter the co-resident’s name for this email.' end,
    case when r.co_resident_name is not null and r.resident_name is null then 'resident_name:Enter the main resident before a co-resident.' end,
    case when r.co_resident_email = r.resident_email then 'co_resident_email:The co-resident needs an email of their own.' end,
    case when r.resident_name is not null and not r.has_lease then 'lease_start:A resident needs a lease: enter its start date and rent.' end,
    case when r.has_lease and r.lease_start_text is null then 'lease_start:Enter the lease start date.' end,
    case when r.lease_start_text is not null and r.lease_start is null then 'lease_start:Enter the start date as YYYY-MM-DD, such as 2026-01-01.' end,
    case when r.lease_end_text is not null and r.lease_end is null then 'lease_end:Enter the end date as YYYY-MM-DD, or leave it empty for month-to-month.' end,
    case when r.lease_end <= r.lease_start then 'lease_end:The end date must be after the start date.' end,
    case when r.has_lease and r.rent_text is null then 'rent:Enter the monthly rent.' end,
    case when r.rent_text is not null and (r.rent_minor is null or r.rent_minor < 1) then 'rent:Rent must be an amount above zero.' end,
    case when r.deposit_text is not null and r.deposit_minor is null then 'deposit:The deposit must be an amount of zero or more.' end,
    case when r.due_day_text is not null and (r.due_day is null or r.due_day not between 1 and 28) then 'due_day:Rent is due on a day from 1 to 28, so every month has it.' end,
    case when r.has_lease and r.resident_name is null and r.resident_email is null and r.resident_phone is null then 'resident_name:A lease needs its resident’s name.' end
  ], null)) as e (problem);

  -- The same unit twice in the file: every later row names the first.
  insert into pg_temp.lintel_import_errors (row_no, col, message)
  select d.row_no, 'unit_label', format('%s, %s is also on row %s.', d.property_name, d.unit_label, d.first_row)
  from (
    select r.row_no, r.unit_label, r.property_name,
           first_value(r.row_no) over w as first_row, row_number() over w as n
    from pg_temp.lintel_import_rows r
    where r.property_key is not null and r.unit_label is not null
    window w as (partition by r.property_key, r.unit_label order by r.row_no)
  ) d
  where d.n > 1;

  -- 3. Properties: one per name (case-insensitive); an existing one of the org is reused, and the
  --    first row of a new one gives its address.
  create temp table lintel_import_properties on commit drop as
  select distinct on (r.property_key)
    r.property_key, coalesce(x.names[1], r.property_name) as name, r.address_line1, r.address_line2, r.city, r.region,
    r.postal_code, coalesce(r.country, v_settings.country) as country, r.row_no as first_row,
    coalesce(x.ids[1], gen_random_uuid()) as id, x.ids is null as is_new, coalesce(cardinality(x.ids), 0) as matches
  from pg_temp.lintel_import_rows r
  left join (
    select lower(btrim(p.name)) as property_key, array_agg(p.id order by p.created_at, p.id) as ids,
           array_agg(p.name order by p.created_at, p.id) as names
    from public.properties p
    where p.org_id = v_org
    group by 1
  ) x on x.property_key = r.property_key
  where r.property_key is not null
  order by r.property_key, r.row_no;
  analyze pg_temp.lintel_import_properties;

  insert into pg_temp.lintel_import_errors (row_no, col, message)
  select r.row_no, 'property_name', format('%s properties are named %s: rename one of them in Lintel first.', p.matches, r.property_name)
  from pg_temp.lintel_import_rows r join pg_temp.lintel_import_properties p using (property_key)
  where p.matches > 1;

  update pg_temp.lintel_import_rows r set property_id = p.id
  from pg_temp.lintel_import_properties p where p.property_key = r.property_key;
  analyze pg_temp.lintel_import_rows;

  -- What the org already has, copied once in one pass per table: the joins below run on analyzed
  -- temporary tables. Joined to the public tables directly, a second import right after a first
  -- (before autovacuum's analyze) was planned as a nested loop reading each of 10,000 units 10,000
  -- times: 20 s instead of 1. A pass over an org's own rows costs what the org has, whatever the plan.
  create temp table lintel_import_known_units on commit drop as
  select u.id, u.property_id, u.label from public.units u where u.org_id = v_org;
  analyze pg_temp.lintel_import_known_units;

  -- 4. Units: an existing unit of a reused property with the same label is reused as it is.
  create temp table lintel_import_units on commit drop as
  select distinct on (r.property_id, r.unit_label)
    r.property_id, r.unit_label as label, r.bedrooms, r.bathrooms, r.square_feet, r.market_rent_minor,
    coalesce(u.id, gen_random_uuid()) as id, u.id is null as is_new
  from pg_temp.lintel_import_rows r
  left join pg_temp.lintel_import_known_units u on u.property_id = r.property_id and u.label = r.unit_label
  where r.property_id is not null and r.unit_label is not null
  order by r.property_id, r.unit_label, r.row_no;
  analyze pg_temp.lintel_import_units;

  update pg_temp.lintel_import_rows r set unit_id = u.id
  from pg_temp.lintel_import_units u where u.property_id = r.property_id and u.label = r.unit_label;
  analyze pg_temp.lintel_import_rows;

  create temp table lintel_import_known_leases on commit drop as
  select l.id, l.unit_id, l.start_date, l.status, l.created_at from public.leases l where l.org_id = v_org;
  analyze pg_temp.lintel_import_known_leases;

  -- 5. Leases: the same start date on a reused unit is that lease again (a file imported twice
  --    changes nothing); a new active lease on a unit that has one is refused.
  create temp table lintel_import_leases on commit drop as
  select r.row_no, r.unit_id, r.unit_label, r.property_name, r.lease_start as start_date, r.lease_end as end_date,
         r.rent_minor, coalesce(r.deposit_minor, 0) as deposit_minor, coalesce(r.due_day, 1) as due_day,
         case when r.lease_end < v_today then 'ended' else 'active' end as status,
         coalesce(same.id, gen_random_uuid()) as id, same.id is null as is_new
  from pg_temp.lintel_import_rows r
  left join (
    select distinct on (k.unit_id, k.start_date) k.unit_id, k.start_date, k.id
    from pg_temp.lintel_import_known_leases k
    order by k.unit_id, k.start_date, k.created_at, k.id
  ) same on same.unit_id = r.unit_id and same.start_date = r.lease_start
  where r.has_lease and r.unit_id is not null and r.lease_start is not null;
  analyze pg_temp.lintel_import_leases;

  insert into pg_temp.lintel_import_errors (row_no, col, message)
  select n.row_no, 'lease_start', format('%s, %s already has an active lease from %s. End it first, or leave this row''s lease empty.',
    n.property_name, n.unit_label, to_char(a.start_date, 'YYYY-MM-DD'))
  from pg_temp.lintel_import_leases n
  join pg_temp.lintel_import_known_leases a on a.unit_id = n.unit_id and a.status = 'active'
  where n.is_new and n.status = 'active';

  -- 6. Residents of the new leases: one per email across the file (an existing resident of the org
  --    with that email is reused); without an email, one per row. A reused lease keeps its residents.
  create temp table lintel_import_people on commit drop as
  select r.row_no, s.slot, s.full_name, s.email, s.phone,
         coalesce(s.email, 'row:' || r.row_no || ':' || s.slot) as person_key
  from pg_temp.lintel_import_rows r
  join pg_temp.lintel_import_leases l on l.row_no = r.row_no and l.is_new
  cross join lateral (values
    (1, r.resident_name, r.resident_email, r.resident_phone),
    (2, r.co_resident_name, r.co_resident_email, null)
  ) as s (slot, full_name, email, phone)
  where s.full_name is not null;
  analyze pg_temp.lintel_import_people;

  create temp table lintel_import_known_residents on commit drop as
  select distinct on (lower(e.email)) lower(e.email) as email, e.id
  from public.residents e
  where e.org_id = v_org and e.email is not null
  order by lower(e.email), e.created_at, e.id;
  analyze pg_temp.lintel_import_known_residents;

  create temp table lintel_import_residents on commit drop as
  select distinct on (p.person_key)
    p.person_key, p.full_name, p.email, p.phone, coalesce(x.id, gen_random_uuid()) as id, x.id is null as is_new
  from pg_temp.lintel_import_people p
  left join pg_temp.lintel_import_known_residents x on x.email = p.email
  order by p.person_key, p.row_no, p.slot;
  analyze pg_temp.lintel_import_residents;

  -- 7. Refuse the whole file while any row has a problem: nothing has been written yet.
  select count(*) into v_error_count from pg_temp.lintel_import_errors;
  if v_error_count > 0 then
    select jsonb_build_object(
      'errors', jsonb_agg(jsonb_build_object('row', e.row_no, 'column', e.col, 'message', e.message) order by e.row_no, e.col),
      'error_count', v_error_count,
      'row_count', (select count(distinct row_no) from pg_temp.lintel_import_errors))
    into v_errors
    from (select * from pg_temp.lintel_import_errors order by row_no, col limit 500) e;
    raise exception '% of the file''s rows cannot be imported', v_errors ->> 'row_count'
      using errcode = 'LT422', detail = v_errors::text, hint = 'Fix these rows in the file and import it again; nothing was imported.';
  end if;

  -- The plan's unit limit, stated before anything is written (units_after_insert_count still
  -- enforces it under concurrency).
  select count(*) into v_new_units from pg_temp.lintel_import_units where is_new;
  if v_settings.unit_count + v_new_units > v_settings.unit_limit then
    raise exception 'this file adds % units; the plan allows % more',
      to_char(v_new_units, 'FM999,999,990'), to_char(greatest(v_settings.unit_limit - v_settings.unit_count, 0), 'FM999,999,990')
      using errcode = 'LT429', hint = 'Upgrade the plan, or import fewer units; nothing was imported.';
  end if;

  -- 8. Writes through the tables, one statement each, so their statement triggers (unit count,
  --    audit, broadcasts) fire once per table and the whole file commits or rolls back together.
  begin
    insert into public.properties (id, org_id, name, address_line1, address_line2, city, region, postal_code, country)
    select p.id, v_org, p.name, coalesce(p.address_line1, ''), p.address_line2, coalesce(p.city, ''), p.region, p.postal_code, p.country
    from pg_temp.lintel_import_properties p where p.is_new
    order by p.first_row;

    insert into public.units (id, org_id, property_id, label, bedrooms, bathrooms, square_feet, market_rent_minor)
    select u.id, v_org, u.property_id, u.label, coalesce(u.bedrooms, 1), coalesce(u.bathrooms, 1), u.square_feet, u.market_rent_minor
    from pg_temp.lintel_import_units u where u.is_new
    order by u.property_id, u.label;

    insert into public.residents (id, org_id, full_name, email, phone)
    select r.id, v_org, r.full_name, r.email, r.phone
    from pg_temp.lintel_import_residents r where r.is_new;

    insert into public.leases (id, org_id, unit_id, status, start_date, end_date, rent_minor, deposit_minor, due_day, grace_days, late_fee_minor)
    select l.id, v_org, l.unit_id, l.status, l.start_date, l.end_date, l.rent_minor, l.deposit_minor, l.due_day,
           v_settings.default_grace_days, v_settings.default_late_fee_minor
    from pg_temp.lintel_import_leases l where l.is_new
    order by l.row_no;

    insert into public.lease_residents (org_id, lease_id, resident_id, is_primary)
    select distinct on (l.id, r.id) v_org, l.id, r.id, p.slot = 1
    from pg_temp.lintel_import_leases l
    join pg_temp.lintel_import_people p on p.row_no = l.row_no
    join pg_temp.lintel_import_residents r on r.person_key = p.person_key
    where l.is_new
    order by l.id, r.id, p.slot;
  exception
    when unique_violation or foreign_key_violation then
      -- Validation ran on a snapshot: someone changed these records while the file was importing.
      get stacked diagnostics v_constraint = constraint_name;
      raise exception 'the portfolio changed while the file was importing (%)', v_constraint
        using errcode = 'LT409', hint = 'Import the file again; nothing was imported.';
  end;

  select jsonb_build_object(
    'properties', (select jsonb_build_object('created', count(*) filter (where is_new), 'reused', count(*) filter (where not is_new)) from pg_temp.lintel_import_properties),
    'units', (select jsonb_build_object('created', count(*) filter (where is_new), 'reused', count(*) filter (where not is_new)) from pg_temp.lintel_import_units),
    'residents', (select jsonb_build_object('created', count(*) filter (where is_new), 'reused', count(*) filter (where not is_new)) from pg_temp.lintel_import_residents),
    'leases', (select jsonb_build_object('created', count(*) filter (where is_new), 'reused', count(*) filter (where not is_new)) from pg_temp.lintel_import_leases),
    'items', (
      select coalesce(jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name, 'created', p.is_new,
        'units_created', coalesce(u.created, 0), 'units_reused', coalesce(u.reused, 0)) order by p.first_row), '[]')
      from pg_temp.lintel_import_properties p
      left join (
        select property_id, count(*) filter (where is_new) as created, count(*) filter (where not is_new) as reused
        from pg_temp.lintel_import_units group by property_id
      ) u on u.property_id = p.id
    ))
  into v_result;
  return v_result;
end;
$$;
comment on function private.import_portfolio(jsonb) is
  'Does import_portfolio for the caller''s active org: validates every row (LT422 with the rows in DETAIL), then inserts set-based.';

create or replace function public.import_portfolio(p_rows jsonb) returns jsonb
language sql
set search_path = ''
-- PostgREST (12.2+) applies a function's statement_timeout to its request: a large file may take
-- longer than the authenticated role's 8 s.
set statement_timeout = '60s'
as $$
  select private.import_portfolio(p_rows)
$$;
comment on function public.import_portfolio(jsonb) is
  'Imports a spreadsheet into the active org (owner, admin, manager): p_rows is a list of objects, one per unit, with '
  'row, property_name, address_line1, address_line2, city, region, postal_code, country, unit_label, bedrooms, bathrooms, '
  'square_feet, market_rent_minor, resident_name, resident_email, resident_phone, co_resident_name, co_resident_email, '
  'lease_start, lease_end, rent_minor, deposit_minor, due_day. Properties (by name), units (by label) and residents (by '
  'email) that exist are reused. All or nothing: a bad row raises LT422 with {errors: [{row, column, message}]} in DETAIL, '
  'the unit limit LT429. Returns {properties, units, residents, leases: {created, reused}, items: [{id, name, created, units_created, units_reused}]}.';

revoke execute on function private.import_date(text), private.import_portfolio(jsonb) from public;
grant execute on function private.import_date(text), private.import_portfolio(jsonb) to authenticated;
revoke execute on function public.import_portfolio(jsonb) from public, anon, service_role;
grant execute on function public.import_portfolio(jsonb) to authenticated;
