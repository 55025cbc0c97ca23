-- The extensions schema with the extensions a new Supabase project has enabled, the
-- public and graphql_public grants, and PostgREST's schema-reload event triggers
-- (supabase/postgres migrations/db/init-scripts/00000000000000-initial-schema.sql,
-- 00000000000003-post-setup.sql, migrations 20220317095840, 20220321174452, 20230224042246).
-- pgjwt, pg_graphql, pgsodium and supabase_vault do not ship with vanilla Postgres and
-- are left out; see 50-vault.sql for the vault objects the CLI and cron jobs use.

create schema if not exists extensions authorization supabase_admin;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to dashboard_user;

create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
-- Created like on a hosted project; its view only returns rows when the server also has
-- shared_preload_libraries = 'pg_stat_statements'.
create extension if not exists pg_stat_statements with schema extensions;

grant all privileges on all tables in schema extensions to postgres with grant option;
grant all privileges on all routines in schema extensions to postgres with grant option;
grant all privileges on all sequences in schema extensions to postgres with grant option;
alter default privileges for role postgres in schema extensions grant all on tables to postgres with grant option;
alter default privileges for role postgres in schema extensions grant all on routines to postgres with grant option;
alter default privileges for role postgres in schema extensions grant all on sequences to postgres with grant option;

-- public: what the API roles may use, and the grants every new table, function and
-- sequence gets (RLS, not grants, is what guards rows on Supabase).
grant usage on schema public to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on sequences to postgres, anon, authenticated, service_role;

-- graphql_public: exposed by default in config.toml. Without pg_graphql it holds the
-- placeholder Supabase installs, so generated types match a hosted project's.
create schema graphql_public authorization supabase_admin;
grant usage on schema graphql_public to postgres, anon, authenticated, service_role;
grant usage on schema graphql_public to postgres with grant option;
alter default privileges for role supabase_admin in schema graphql_public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema graphql_public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema graphql_public grant all on sequences to postgres, anon, authenticated, service_role;

set local role supabase_admin;

create function graphql_public.graphql(
  "operationName" text default null,
  query text default null,
  variables jsonb default null,
  extensions jsonb default null
) returns jsonb
language sql
as $$
  select jsonb_build_object(
    'data', null::jsonb,
    'errors', jsonb_build_array('pg_graphql extension is not enabled.')
  );
$$;

-- PostgREST reloads its schema cache on NOTIFY pgrst; these triggers send it after DDL
-- (https://postgrest.org/en/stable/references/schema_cache.html#finer-grained-event-trigger).
create function extensions.pgrst_ddl_watch() returns event_trigger
language plpgsql
as $$
declare
  cmd record;
begin
  for cmd in select * from pg_event_trigger_ddl_commands() loop
    if cmd.command_tag in (
      'CREATE SCHEMA', 'ALTER SCHEMA', 'CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO',
      'ALTER TABLE', 'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'CREATE VIEW',
      'ALTER VIEW', 'CREATE MATERIALIZED VIEW', 'ALTER MATERIALIZED VIEW',
      'CREATE FUNCTION', 'ALTER FUNCTION', 'CREATE TRIGGER', 'CREATE TYPE', 'ALTER TYPE',
      'CREATE RULE', 'COMMENT'
    ) and cmd.schema_name is distinct from 'pg_temp' then
      notify pgrst, 'reload schema';
    end if;
  end loop;
end;
$$;

create function extensions.pgrst_drop_watch() returns event_trigger
language plpgsql
as $$
declare
  obj record;
begin
  for obj in select * from pg_event_trigger_dropped_objects() loop
    if obj.object_type in (
      'schema', 'table', 'foreign table', 'view', 'materialized view', 'function',
      'trigger', 'type', 'rule'
    ) and obj.is_temporary is false then
      notify pgrst, 'reload schema';
    end if;
  end loop;
end;
$$;

create event trigger pgrst_ddl_watch on ddl_command_end
  execute function extensions.pgrst_ddl_watch();
create event trigger pgrst_drop_watch on sql_drop
  execute function extensions.pgrst_drop_watch();

reset role;
