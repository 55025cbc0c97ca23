-- cron and net: what the pg_cron (1.6) and pg_net (0.20) extensions give a Supabase database,
-- with their names and signatures, so a migration that schedules `net.http_post` to a function
-- runs unchanged on both. Neither extension exists for our Postgres builds: here the objects
-- are plain SQL and local-stack/scheduler is the background worker that runs due jobs and
-- performs the queued requests. Migrations create the real extensions only where Postgres
-- offers them (`pg_available_extensions`), i.e. on Supabase.
-- Re-runnable: every object is created only when missing or replaced in place.

create schema if not exists cron authorization supabase_admin;
create schema if not exists net authorization supabase_admin;
-- Supabase grants the scheduler to postgres only; net to the roles its docs use in cron jobs.
revoke all on schema cron from public;
revoke all on schema net from public;
grant usage on schema cron to postgres;
grant usage on schema net to postgres, service_role;

set local role supabase_admin;

-- pg_cron ---------------------------------------------------------------------------------

create sequence if not exists cron.jobid_seq;
create table if not exists cron.job (
  jobid bigint primary key default pg_catalog.nextval('cron.jobid_seq'),
  schedule text not null,
  command text not null,
  nodename text not null default 'localhost',
  nodeport int not null default pg_catalog.inet_server_port(),
  database text not null default pg_catalog.current_database(),
  username text not null default current_user,
  active boolean not null default true,
  jobname text,
  constraint jobname_username_uniq unique (jobname, username)
);
comment on table cron.job is 'Scheduled jobs (pg_cron); run by the local stack''s scheduler.';
alter table cron.job enable row level security;
drop policy if exists cron_job_policy on cron.job;
create policy cron_job_policy on cron.job using (username operator(pg_catalog.=) current_user);
grant select, insert, update, delete on cron.job to postgres;
grant select, usage on sequence cron.jobid_seq to postgres;

create sequence if not exists cron.runid_seq;
create table if not exists cron.job_run_details (
  jobid bigint,
  runid bigint primary key default pg_catalog.nextval('cron.runid_seq'),
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);
comment on table cron.job_run_details is 'One row per job run (pg_cron); never cleaned automatically, as on Supabase.';
alter table cron.job_run_details enable row level security;
drop policy if exists cron_job_run_details_policy on cron.job_run_details;
create policy cron_job_run_details_policy on cron.job_run_details using (username operator(pg_catalog.=) current_user);
grant select, delete on cron.job_run_details to postgres;

-- pg_cron validates the schedule when a job is saved: five cron fields (with `$` for the last
-- day of month), an `@` macro, or '[1-59] seconds'. The runner parses it fully.
create or replace function cron._validate_schedule(schedule text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if schedule is null
     or not (
       schedule ~* '^\s*([1-9]|[1-5][0-9])\s+seconds?\s*$'
       or schedule ~* '^\s*@(yearly|annually|monthly|weekly|daily|hourly|reboot)\s*$'
       or array_length(regexp_split_to_array(btrim(schedule), '\s+'), 1) = 5
     ) then
    raise exception 'invalid schedule: %', schedule;
  end if;
end
$$;

create or replace function cron.schedule(schedule text, command text)
returns bigint
language plpgsql
strict
set search_path = ''
as $$
declare
  id bigint;
begin
  perform cron._validate_schedule(schedule);
  insert into cron.job (schedule, command) values (schedule, command) returning jobid into id;
  return id;
end
$$;
comment on function cron.schedule(text, text) is 'schedule a pg_cron job';

-- A job name is unique per user: scheduling it again replaces its schedule and command.
create or replace function cron.schedule(job_name text, schedule text, command text)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  id bigint;
begin
  perform cron._validate_schedule(schedule);
  insert into cron.job (jobname, schedule, command) values (job_name, schedule, command)
  on conflict (jobname, username) do update
    set schedule = excluded.schedule, command = excluded.command, active = true
  returning jobid into id;
  return id;
end
$$;
comment on function cron.schedule(text, text, text) is 'schedule a pg_cron job';

create or replace function cron.schedule_in_database(
  job_name text, schedule text, command text, database text, username text default null, active boolean default true)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  id bigint;
begin
  perform cron._validate_schedule(schedule);
  insert into cron.job (jobname, schedule, command, database, username, active)
  values (job_name, schedule, command, database, coalesce(username, current_user), active)
  on conflict (jobname, username) do update
    set schedule = excluded.schedule, command = excluded.command, database = excluded.database, active = excluded.active
  returning jobid into id;
  return id;
end
$$;
comment on function cron.schedule_in_database(text, text, text, text, text, boolean) is 'schedule a pg_cron job';
revoke all on function cron.schedule_in_database(text, text, text, text, text, boolean) from public;

create or replace function cron.unschedule(job_id bigint)
returns boolean
language plpgsql
strict
set search_path = ''
as $$
begin
  delete from cron.job where jobid = job_id;
  if not found then
    raise exception 'could not find valid entry for job %', job_id;
  end if;
  return true;
end
$$;
comment on function cron.unschedule(bigint) is 'unschedule a pg_cron job';

create or replace function cron.unschedule(job_name text)
returns boolean
language plpgsql
strict
set search_path = ''
as $$
begin
  delete from cron.job where jobname = job_name and username = current_user;
  if not found then
    raise exception 'could not find valid entry for job ''%''', job_name;
  end if;
  return true;
end
$$;
comment on function cron.unschedule(text) is 'unschedule a pg_cron job';

create or replace function cron.alter_job(
  job_id bigint, schedule text default null, command text default null, database text default null,
  username text default null, active boolean default null)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if schedule is not null then
    perform cron._validate_schedule(schedule);
  end if;
  update cron.job j set
    schedule = coalesce(alter_job.schedule, j.schedule),
    command = coalesce(alter_job.command, j.command),
    database = coalesce(alter_job.database, j.database),
    username = coalesce(alter_job.username, j.username),
    active = coalesce(alter_job.active, j.active)
  where j.jobid = job_id;
  if not found then
    raise exception 'could not find valid entry for job %', job_id;
  end if;
end
$$;
comment on function cron.alter_job(bigint, text, text, text, text, boolean) is
  'Alter the job identified by job_id. Any option left as NULL will not be modified.';
revoke all on function cron.alter_job(bigint, text, text, text, text, boolean) from public;
grant execute on function cron.alter_job(bigint, text, text, text, text, boolean) to postgres;
grant execute on function cron.schedule_in_database(text, text, text, text, text, boolean) to postgres;

-- pg_net ----------------------------------------------------------------------------------

do $$
begin
  if not exists (select from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'net' and t.typname = 'http_method') then
    create domain net.http_method as text
      check (value ilike 'get' or value ilike 'post' or value ilike 'delete');
  end if;
  if not exists (select from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'net' and t.typname = 'request_status') then
    create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');
  end if;
  if not exists (select from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'net' and t.typname = 'http_response') then
    create type net.http_response as (status_code integer, headers jsonb, body text);
  end if;
  if not exists (select from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'net' and t.typname = 'http_response_result') then
    create type net.http_response_result as (status net.request_status, message text, response net.http_response);
  end if;
end
$$;

-- Unlogged as in pg_net: a crash may lose queued requests and responses, never the database.
create unlogged table if not exists net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds int not null
);
comment on table net.http_request_queue is 'Requests waiting for the pg_net worker (the local scheduler here).';

create unlogged table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out bool,
  error_msg text,
  created timestamptz not null default now()
);
comment on table net._http_response is 'Responses of performed requests, kept 6 hours (pg_net.ttl).';
create index if not exists _http_response_created_idx on net._http_response (created);

grant select, insert, update, delete on all tables in schema net to postgres, service_role;
grant usage, select on all sequences in schema net to postgres, service_role;

-- Percent-encodes every byte outside RFC 3986's unreserved set, as pg_net's C version does.
create or replace function net._urlencode_string(string varchar)
returns text
language sql
immutable
set search_path = ''
as $$
  select coalesce(string_agg(
           case when b between 48 and 57 or b between 65 and 90 or b between 97 and 122 or b in (45, 46, 95, 126)
                then pg_catalog.chr(b)
                else '%' || upper(lpad(to_hex(b), 2, '0')) end,
           '' order by i), '')
    from (select convert_to(string, 'UTF8') as bytes) s,
         lateral generate_series(0, octet_length(s.bytes) - 1) as i,
         lateral (select get_byte(s.bytes, i) as b) g
$$;

create or replace function net._encode_url_with_params_array(url text, params_array text[])
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when coalesce(array_length(params_array, 1), 0) = 0 then url
    else url || case when url like '%?%' then '&' else '?' end || array_to_string(params_array, '&')
  end
$$;

-- Wakes the worker; NOTIFY is delivered at commit, so requests start only after the calling
-- transaction commits, as with pg_net.
create or replace function net.wake()
returns void
language sql
set search_path = ''
as $$ select pg_catalog.pg_notify('lintel_net', '') $$;

create or replace function net.check_worker_is_up()
returns void
language plpgsql
set search_path = ''
as $$
begin
  if not exists (select from pg_catalog.pg_stat_activity where application_name = 'pg_net worker (lintel)') then
    raise exception using
      message = 'the pg_net background worker is not up',
      detail = 'the local stack''s scheduler is not running against this database',
      hint = 'start the local stack (npm run stack)';
  end if;
end
$$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  request_id bigint;
  params_array text[];
begin
  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array from jsonb_each_text(params);
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', net._encode_url_with_params_array(url, params_array), headers, timeout_milliseconds)
  returning id into request_id;
  perform net.wake();
  return request_id;
end
$$;

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  request_id bigint;
  params_array text[];
  content_type text;
begin
  select header_value into content_type
    from jsonb_each_text(coalesce(headers, '{}'::jsonb)) r(header_name, header_value)
   where lower(header_name) = 'content-type'
   limit 1;
  if content_type is null then
    headers := coalesce(headers, '{}'::jsonb) || '{"Content-Type": "application/json"}'::jsonb;
  end if;
  if content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array from jsonb_each_text(params);
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', net._encode_url_with_params_array(url, params_array), headers,
          convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;
  perform net.wake();
  return request_id;
end
$$;

create or replace function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000,
  body jsonb default null)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  request_id bigint;
  params_array text[];
begin
  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array from jsonb_each_text(params);
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('DELETE', net._encode_url_with_params_array(url, params_array), headers,
          convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;
  perform net.wake();
  return request_id;
end
$$;

create or replace function net._http_collect_response(request_id bigint, async bool default true)
returns net.http_response_result
language plpgsql
set search_path = ''
as $$
declare
  rec net._http_response;
begin
  if not async then
    while not exists (select from net._http_response r where r.id = request_id) loop
      perform pg_catalog.pg_sleep(0.05);
    end loop;
  end if;
  select * into rec from net._http_response r where r.id = request_id;
  if rec is null or rec.error_msg is not null then
    return ('ERROR', coalesce(rec.error_msg, 'request matching request_id not found'), null)::net.http_response_result;
  end if;
  return ('SUCCESS', 'ok', (rec.status_code, rec.headers, rec.content)::net.http_response)::net.http_response_result;
end
$$;

create or replace function net.http_collect_response(request_id bigint, async bool default true)
returns net.http_response_result
language plpgsql
set search_path = ''
as $$
begin
  raise notice 'The net.http_collect_response function is deprecated.';
  return net._http_collect_response(request_id, async);
end
$$;

revoke all on all functions in schema net from public;
grant execute on all functions in schema net to postgres, service_role;

reset role;
