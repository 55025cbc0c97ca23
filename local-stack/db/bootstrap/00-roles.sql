-- Roles a Supabase database has before any app migration, with the attributes a hosted
-- project reports (supabase/cli internal/utils/templates/globals.sql, corrected by the
-- later supabase/postgres migrations, e.g. 20230529180330 makes the API roles INHERIT).
-- Roles are cluster-wide, so every statement here tolerates roles that already exist
-- (a second database in the same cluster). Passwords are 'postgres': local use only.
-- The postgres role keeps its superuser status; only its memberships change.

do $$
declare
  r text;
begin
  foreach r in array array[
    'anon', 'authenticated', 'service_role', 'authenticator', 'dashboard_user', 'pgbouncer',
    'supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin',
    'supabase_functions_admin', 'supabase_realtime_admin', 'supabase_replication_admin',
    'supabase_read_only_user'
  ] loop
    if not exists (select from pg_catalog.pg_roles where rolname = r) then
      execute format('create role %I', r);
    end if;
  end loop;
end
$$;

-- API roles: PostgREST switches to these per request; service_role bypasses RLS.
alter role anon with nosuperuser inherit nocreaterole nocreatedb nologin noreplication nobypassrls;
alter role authenticated with nosuperuser inherit nocreaterole nocreatedb nologin noreplication nobypassrls;
alter role service_role with nosuperuser inherit nocreaterole nocreatedb nologin noreplication bypassrls;
alter role authenticator with nosuperuser noinherit nocreaterole nocreatedb login noreplication nobypassrls password 'postgres';

-- Platform roles.
alter role supabase_admin with superuser inherit createrole createdb login replication bypassrls password 'postgres';
alter role supabase_auth_admin with nosuperuser noinherit createrole nocreatedb login noreplication nobypassrls password 'postgres';
alter role supabase_storage_admin with nosuperuser noinherit createrole nocreatedb login noreplication nobypassrls password 'postgres';
alter role supabase_functions_admin with nosuperuser noinherit createrole nocreatedb login noreplication nobypassrls password 'postgres';
alter role supabase_realtime_admin with nosuperuser noinherit nocreaterole nocreatedb nologin noreplication nobypassrls;
alter role supabase_replication_admin with nosuperuser inherit nocreaterole nocreatedb login replication nobypassrls password 'postgres';
alter role supabase_read_only_user with nosuperuser inherit nocreaterole nocreatedb login noreplication bypassrls password 'postgres';
alter role dashboard_user with nosuperuser inherit createrole createdb nologin replication nobypassrls;
alter role pgbouncer with nosuperuser inherit nocreaterole nocreatedb login noreplication nobypassrls password 'postgres';

-- Per-role settings as on a hosted project. authenticator's
-- session_preload_libraries = 'safeupdate' is left out on purpose: vanilla Postgres has
-- no pg-safeupdate, and the setting would make every authenticator login fail.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role supabase_admin set search_path = "$user", public, auth, extensions;
alter role supabase_auth_admin set search_path = auth;
alter role supabase_auth_admin set idle_in_transaction_session_timeout = 60000;
alter role supabase_storage_admin set search_path = storage;
alter role supabase_functions_admin set search_path = supabase_functions;

-- Memberships.
grant anon, authenticated, service_role to authenticator;
grant authenticator to supabase_storage_admin;
grant anon, authenticated, service_role to postgres;
grant supabase_auth_admin, supabase_storage_admin, supabase_functions_admin, supabase_realtime_admin to postgres;
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;
grant pg_read_all_data to supabase_read_only_user;
