-- Enables Supabase Cron (pg_cron) and pg_net, with which recurring jobs run SQL or call a function.
-- The guard keeps it valid locally, where the stack's bootstrap provides the same cron and net objects.
do $$
begin
  if exists (select from pg_available_extensions where name = 'pg_cron') then
    create extension if not exists pg_cron with schema pg_catalog;
    grant usage on schema cron to postgres;
    grant all privileges on all tables in schema cron to postgres;
  end if;
  if exists (select from pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net with schema extensions;
  end if;
end
$$;
