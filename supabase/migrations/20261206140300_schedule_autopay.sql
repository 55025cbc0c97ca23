-- Schedules autopay (hourly: rent is posted on each org's own due day and hour) and the pruning of
-- old Stripe event ids; scheduled calls to functions carry a secret only the database and they know.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

-- The secret scheduled jobs send in x-cron-secret: created once, in Vault, so neither a deploy
-- step nor the functions' environment has to carry it; the function asks the database to check it.
do $$
begin
  if not exists (select 1 from vault.secrets where name = 'lintel_cron_secret') then
    perform vault.create_secret(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'lintel_cron_secret',
      'Sent by scheduled jobs to edge functions in x-cron-secret; checked with public.verify_cron_secret.');
  end if;
end
$$;

create or replace function public.verify_cron_secret(p_secret text) returns boolean
language sql stable
security definer
set search_path = ''
as $$
  select coalesce(p_secret is not null and p_secret = (
    select s.decrypted_secret from vault.decrypted_secrets s where s.name = 'lintel_cron_secret' limit 1), false)
$$;
comment on function public.verify_cron_secret(text) is 'Whether a request to a scheduled function carries the cron secret (service role: the function checks its caller).';
revoke execute on function public.verify_cron_secret(text) from public, anon, authenticated;
grant execute on function public.verify_cron_secret(text) to service_role;

-- POSTs to an edge function of this project from a cron job. The project's URL is the Vault secret
-- `project_url` (README, Deploying); without it the call is skipped with a warning.
create or replace function private.invoke_function(p_name text, p_body jsonb default '{}') returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text := (select s.decrypted_secret from vault.decrypted_secrets s where s.name = 'project_url' limit 1);
  v_secret text := (select s.decrypted_secret from vault.decrypted_secrets s where s.name = 'lintel_cron_secret' limit 1);
begin
  if v_url is null then
    raise warning 'Vault has no project_url: % was not called', p_name;
    return null;
  end if;
  return net.http_post(
    url := rtrim(v_url, '/') || '/functions/v1/' || p_name,
    headers := jsonb_build_object('Content-Type', 'application/json', 'x-cron-secret', v_secret),
    body := p_body,
    timeout_milliseconds := 60000
  );
end;
$$;
comment on function private.invoke_function(text, jsonb) is 'Calls an edge function from a cron job with the cron secret; the URL comes from Vault (project_url).';
revoke execute on function private.invoke_function(text, jsonb) from public;

select cron.schedule('autopay-run', '20 * * * *', $$select private.invoke_function('autopay-run')$$);
select cron.schedule('prune-stripe-events', '40 3 * * *',
  $$delete from private.stripe_events where received_at < now() - interval '30 days'$$);
