-- Database-level settings a hosted project has, set on the current database only.
--   search_path for postgres includes extensions, so migrations written for Supabase
--   may call gen_random_bytes() or uuid_generate_v4() unqualified.
--   pgrst.db_schemas names the schemas the API exposes; splinter's lints (db advisors)
--   read it to decide which tables are reachable through the API. Default as in
--   config.toml's [api] schemas; the local stack may overwrite it from config.toml.

do $$
begin
  execute format('alter role postgres in database %I set search_path = "$user", public, extensions', current_database());
  execute format('alter database %I set pgrst.db_schemas = %L', current_database(), 'public, graphql_public');
end
$$;
