-- Live updates over Realtime Broadcast: triggers publish changes to private topics, and RLS on
-- realtime.messages decides from the claims who may join each topic, so pages update without polling.
--
-- Realtime authorizes a whole topic at join, never single messages, so every topic carries only
-- rows that all of its receivers may read (tests/db/permission-matrix.csv):
--   org:<org_id>          all staff: units, memberships, maintenance requests and events
--   org:<org_id>:finance  finance staff (owner, admin, manager, viewer): leases, ledger, payments
--   resident:<id>         that resident: their leases, ledger, payments, requests, public events
--   user:<user_id>        that user: their notifications and membership
-- Messages are shaped as realtime.broadcast_changes shapes them. A money statement of more than 50
-- rows (the rent run, a bulk import) sends one bulk_change per org on the finance topic instead:
-- {operation, table, schema, count}, telling dashboards to refetch; residents get none for it.

create or replace function private.can_receive_topic(p_topic text) returns boolean
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

create or replace function private.tg_broadcast_changes() returns trigger
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
  end case;

  foreach v_topic in array v_topics loop
    perform realtime.broadcast_changes(v_topic, tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
  end loop;
  return null;
end;
$$;
comment on function private.tg_broadcast_changes() is 'Publishes a row change to the Realtime topics whose receivers may all read the row.';
revoke execute on function private.tg_broadcast_changes() from public;

-- Money tables (leases, ledger entries, payments) broadcast per statement: per-row triggers cost 28 s
-- of a 38 s rent run on 103k leases, as realtime.send opens a subtransaction per message.
create or replace function private.tg_broadcast_finance() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_changed jsonb[];
  -- [{"new": row, "old": row}] (keys present as the operation has them) for a small statement
  v_rows jsonb;
  -- {org_id: count} for a bulk one
  v_orgs jsonb;
begin
  -- A transition table exists only for its own operation: DELETE has old_rows, the others
  -- new_rows. Bulk or not is decided on that one table.
  if tg_op = 'DELETE' then
    select array_agg(to_jsonb(o)) into v_changed from (select * from old_rows limit 51) o;
  else
    select array_agg(to_jsonb(n)) into v_changed from (select * from new_rows limit 51) n;
  end if;
  if v_changed is null then
    return null;
  elsif cardinality(v_changed) > 50 then
    if tg_op = 'DELETE' then
      select jsonb_object_agg(s.org_id, s.n) into v_orgs from (select org_id, count(*) as n from old_rows group by org_id) s;
    else
      select jsonb_object_agg(s.org_id, s.n) into v_orgs from (select org_id, count(*) as n from new_rows group by org_id) s;
    end if;
  elsif tg_op = 'UPDATE' then
    select jsonb_agg(jsonb_build_object('new', to_jsonb(n), 'old', to_jsonb(o)))
    into v_rows from new_rows n join old_rows o on o.id = n.id;
  else
    select jsonb_agg(jsonb_build_object(case tg_op when 'DELETE' then 'old' else 'new' end, r))
    into v_rows from unnest(v_changed) r;
  end if;

  -- Like realtime.send, a failed broadcast is a warning: it never undoes the money write.
  begin
    if v_rows is not null then
      insert into realtime.messages (id, topic, extension, event, private, payload)
      select x.id, x.topic, 'broadcast', tg_op, true,
             jsonb_build_object('old_record', x.old_row, 'record', x.new_row, 'operation', tg_op,
                                'table', tg_table_name, 'schema', tg_table_schema, 'id', x.id)
      from (
        -- one message, with its own id, per row and topic
        select gen_random_uuid() as id, t.topic, m.new_row, m.old_row, m.ord, t.k
        from (
          select r -> 'new' as new_row, r -> 'old' as old_row, coalesce(r -> 'new', r -> 'old') as row_data, ord
          from jsonb_array_elements(v_rows) with ordinality e (r, ord)
        ) m
        cross join lateral (
          select 0 as k, 'org:' || (m.row_data ->> 'org_id') || ':finance' as topic
          union all
          -- a lease is its own lease; ledger entries and payments point at theirs
          select 1, 'resident:' || lr.resident_id
          from public.lease_residents lr
          where lr.lease_id = (case when tg_table_name = 'leases' then m.row_data ->> 'id' else m.row_data ->> 'lease_id' end)::uuid
        ) t
      ) x
      order by x.ord, x.k;
    elsif v_orgs is not null then
      insert into realtime.messages (id, topic, extension, event, private, payload)
      select s.id, 'org:' || s.org_id || ':finance', 'broadcast', 'bulk_change', true,
             jsonb_build_object('operation', tg_op, 'table', tg_table_name, 'schema', tg_table_schema,
                                'count', s.n, 'id', s.id)
      from (select gen_random_uuid() as id, key as org_id, value::bigint as n from jsonb_each_text(v_orgs)) s;
    end if;
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
  return null;
end;
$$;
comment on function private.tg_broadcast_finance() is 'Publishes a statement''s changes to leases, ledger entries or payments: per row up to 50 rows, else one bulk_change per org.';
revoke execute on function private.tg_broadcast_finance() from public;

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

-- The ledger is append-only: only inserts happen.
create trigger ledger_entries_after_insert_broadcast after insert on public.ledger_entries
  referencing new table as new_rows for each statement execute function private.tg_broadcast_finance();
create trigger leases_after_insert_broadcast after insert on public.leases
  referencing new table as new_rows for each statement execute function private.tg_broadcast_finance();
create trigger leases_after_update_broadcast after update on public.leases
  referencing old table as old_rows new table as new_rows for each statement execute function private.tg_broadcast_finance();
create trigger leases_after_delete_broadcast after delete on public.leases
  referencing old table as old_rows for each statement execute function private.tg_broadcast_finance();
create trigger payments_after_insert_broadcast after insert on public.payments
  referencing new table as new_rows for each statement execute function private.tg_broadcast_finance();
create trigger payments_after_update_broadcast after update on public.payments
  referencing old table as old_rows new table as new_rows for each statement execute function private.tg_broadcast_finance();
create trigger payments_after_delete_broadcast after delete on public.payments
  referencing old table as old_rows for each statement execute function private.tg_broadcast_finance();
