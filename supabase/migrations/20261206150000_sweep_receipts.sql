-- Receipts are written after the webhook has answered Stripe (EdgeRuntime.waitUntil), so a sweep
-- every five minutes writes any that a crashed or recycled worker left unwritten.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

-- Only payments that owe a receipt are in this index, so the sweep reads nothing else.
create index payments_receipt_owed_idx on public.payments (succeeded_at)
  where receipt_path is null and status in ('succeeded', 'refunded');

create or replace function public.receipts_owed(p_limit integer default 50, p_min_age_seconds integer default 60) returns setof jsonb
language sql stable
security definer
set search_path = ''
as $$
  -- A minute's grace by default: the webhook's own background write is usually still under way.
  select private.receipt_todo(p.id)
  from public.payments p
  where p.receipt_path is null and p.status in ('succeeded', 'refunded')
    and p.succeeded_at <= now() - make_interval(secs => greatest(coalesce(p_min_age_seconds, 60), 0))
  order by p.succeeded_at
  limit least(greatest(coalesce(p_limit, 50), 1), 500)
$$;
comment on function public.receipts_owed(integer, integer) is
  'Receipts still owed for payments that succeeded at least p_min_age_seconds ago (service role: the receipts sweep), oldest first, as private.receipt_todo describes each.';
revoke execute on function public.receipts_owed(integer, integer) from public, anon, authenticated;
grant execute on function public.receipts_owed(integer, integer) to service_role;

select cron.schedule('sweep-receipts', '*/5 * * * *', $$select private.invoke_function('receipts-sweep')$$);
