-- Tidies the two broadcast trigger functions; what they send is unchanged.
--   * tg_broadcast_changes lost its leases, ledger and payments branches: those tables broadcast
--     per statement through tg_broadcast_finance since 20261124090000. An unknown table is now
--     an error instead of silently taking the money topics.
--   * tg_broadcast_finance computes the row count and the bulk summary once, from the one
--     transition table the operation has, instead of once per operation.

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
