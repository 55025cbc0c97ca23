-- Custom plans for every API request except inserts.
--
-- 20261124081200 set plan_cache_mode = force_custom_plan on the authenticated role. PostgREST
-- prepares every statement; after five runs Postgres may switch to one generic plan that suits
-- the average org and not one of 5,000 units (reference/rls-measured.md). Planning each request
-- for its own org is right for reads, updates and deletes, whose plans depend on the org asked
-- for. An insert's plan does not: PostgREST inserts rows from a JSON body, whoever sends it. Yet
-- every single-row insert was planned again: 0.14 ms of database CPU per insert, a fifth of
-- its whole cost (tests/load/rest.bench.ts, "direct SQL + role settings").
--
-- PostgREST runs its pre-request function in every request's transaction, after the role's
-- settings and before the statement (db-pre-request). It now asks for custom plans unless the
-- request is a POST to a table. A POST to /rpc/ keeps custom plans: a function's statements
-- depend on its arguments.

create function private.api_pre_request() returns void
language plpgsql
set search_path = ''
as $$
begin
  if current_setting('request.method', true) is distinct from 'POST'
     or coalesce(current_setting('request.path', true), '') like '%/rpc/%' then
    perform pg_catalog.set_config('plan_cache_mode', 'force_custom_plan', true);
  end if;
end;
$$;
comment on function private.api_pre_request() is
  'PostgREST db-pre-request: custom plans for every request except inserts (POST to a table).';

-- PostgREST calls it as the request's role, anon included. It is the one private function anon
-- may run (the catalog test names it); the others it could see are trigger functions, which
-- cannot be called directly.
revoke execute on function private.api_pre_request() from public;
grant usage on schema private to anon;
grant execute on function private.api_pre_request() to anon, authenticated, service_role;

alter role authenticated reset plan_cache_mode;
alter role authenticator set pgrst.db_pre_request = 'private.api_pre_request';
notify pgrst, 'reload config';
