-- Enables Supabase Cron (pg_cron) and pg_net, which recurring jobs use: a later migration calls
-- cron.schedule(name, schedule, $$ select net.http_post(...) $$) to run SQL or call a function.
-- On Supabase both extensions are available and created here. The local stack's Postgres has
-- neither: its platform bootstrap provides the same cron and net objects and its scheduler runs
-- them, so the guard keeps this file valid in both places.
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
