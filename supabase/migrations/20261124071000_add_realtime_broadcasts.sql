-- Live updates over Realtime Broadcast: row triggers publish changes with realtime.broadcast_changes
-- to private topics, and RLS on realtime.messages decides who may join each topic from the claims.
--
-- Realtime authorizes a whole topic at join, never single messages, so every topic carries only
-- rows that all of its receivers may read (tests/db/permission-matrix.csv):
--   org:<org_id>          all staff: units, memberships, maintenance requests and events
--   org:<org_id>:finance  finance staff (owner, admin, manager, viewer): leases, ledger, payments
--   resident:<id>         that resident: their leases, ledger, payments, requests, public events
--   user:<user_id>        that user: their notifications and membership

create function private.can_receive_topic(p_topic text) returns boolean
language sql stable
set search_path = ''
as $$
  select coalesce(
    (p_topic = 'org:' || private.current_org_id()
      and private.has_org_role(array['owner', 'admin', 'manager', 'maintenance', 'viewer']))
    or (p_topic = 'org:' || private.current_org_id() || ':finance'
      and private.has_org_role(array['owner', 'admin', 'manager', 'viewer']))
    or (p_topic = 'resident:' || private.current_resident_id()
      and private.has_org_role(array['resident']))
    or p_topic = 'user:' || private.current_user_id(),
    false)
$$;
comment on function private.can_receive_topic(text) is 'Whether the caller''s claims let them join a Lintel Realtime topic (org, org finance, resident, user).';
revoke execute on function private.can_receive_topic(text) from public;
grant execute on function private.can_receive_topic(text) to authenticated;

create policy "messages: members can select their own topics" on realtime.messages
  for select to authenticated
  using ((select private.can_receive_topic((select realtime.topic()))));

-- Clients never broadcast on Lintel's topics (the database does); staff may share presence
-- ("who is looking at this") on their org topic.
create policy "messages: staff can insert presence on own org topic" on realtime.messages
  for insert to authenticated
  with check (
    extension = 'presence'
    and (select realtime.topic()) = 'org:' || (select private.current_org_id())
    and (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance', 'viewer']))
  );

create function private.tg_broadcast_changes() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row jsonb;
  v_org text;
  v_topics text[];
  v_topic text;
begin
  if tg_op = 'DELETE' then
    v_row := to_jsonb(old);
  else
    v_row := to_jsonb(new);
  end if;
  v_org := v_row ->> 'org_id';

  case tg_table_name
    when 'units' then
      v_topics := array['org:' || v_org];
    when 'memberships' then
      v_topics := array['org:' || v_org, 'user:' || (v_row ->> 'user_id')];
    when 'notifications' then
      v_topics := array['user:' || (v_row ->> 'user_id')];
    when 'maintenance_requests' then
      v_topics := array['org:' || v_org];
      if v_row ->> 'resident_id' is not null then
        v_topics := v_topics || ('resident:' || (v_row ->> 'resident_id'));
      end if;
    when 'maintenance_events' then
      v_topics := array['org:' || v_org];
      if not (v_row ->> 'is_internal')::boolean then
        v_topics := v_topics || array(
          select 'resident:' || r.resident_id from public.maintenance_requests r
          where r.id = (v_row ->> 'request_id')::uuid and r.resident_id is not null);
      end if;
    when 'leases' then
      v_topics := array['org:' || v_org || ':finance'] || array(
        select 'resident:' || lr.resident_id from public.lease_residents lr
        where lr.lease_id = (v_row ->> 'id')::uuid);
    else -- ledger_entries, payments: by their lease
      v_topics := array['org:' || v_org || ':finance'] || array(
        select 'resident:' || lr.resident_id from public.lease_residents lr
        where lr.lease_id = (v_row ->> 'lease_id')::uuid);
  end case;

  foreach v_topic in array v_topics loop
    perform realtime.broadcast_changes(v_topic, tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
  end loop;
  return null;
end;
$$;
comment on function private.tg_broadcast_changes() is 'Publishes a row change to the Realtime topics whose receivers may all read the row.';
revoke execute on function private.tg_broadcast_changes() from public;

create trigger units_after_change_broadcast after insert or update or delete on public.units
  for each row execute function private.tg_broadcast_changes();
create trigger memberships_after_change_broadcast after insert or update or delete on public.memberships
  for each row execute function private.tg_broadcast_changes();
create trigger notifications_after_change_broadcast after insert or update or delete on public.notifications
  for each row execute function private.tg_broadcast_changes();
create trigger maintenance_requests_after_change_broadcast after insert or update or delete on public.maintenance_requests
  for each row execute function private.tg_broadcast_changes();
create trigger maintenance_events_after_change_broadcast after insert or update or delete on public.maintenance_events
  for each row execute function private.tg_broadcast_changes();
create trigger leases_after_change_broadcast after insert or update or delete on public.leases
  for each row execute function private.tg_broadcast_changes();
-- The ledger is append-only: only inserts happen.
create trigger ledger_entries_after_insert_broadcast after insert on public.ledger_entries
  for each row execute function private.tg_broadcast_changes();
create trigger payments_after_change_broadcast after insert or update or delete on public.payments
  for each row execute function private.tg_broadcast_changes();
