-- Units broadcast, and new leases and lease residents are audited, once per statement: a statement of more than
-- 50 rows (a spreadsheet import) sends one bulk_change and writes one audit summary per org instead of a row each.
set local lock_timeout = '5s';
set local statement_timeout = '1min';

-- A 10,000-unit import spent most of its time in per-row triggers: 10,000 broadcast messages (each
-- realtime.send a subtransaction, and each browser of the org refetching on every one) and 20,000
-- audit rows for its leases and their residents.

create or replace function private.tg_broadcast_org() returns trigger
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
  -- A transition table exists only for its own operation: DELETE has old_rows, the others new_rows.
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

  -- Like realtime.send, a failed broadcast is a warning: it never undoes the write.
  begin
    if v_rows is not null then
      -- one message per row, shaped as realtime.broadcast_changes shapes it
      insert into realtime.messages (id, topic, extension, event, private, payload)
      select x.id, 'org:' || (coalesce(x.new_row, x.old_row) ->> 'org_id'), 'broadcast', tg_op, true,
             jsonb_build_object('old_record', x.old_row, 'record', x.new_row, 'operation', tg_op,
                                'table', tg_table_name, 'schema', tg_table_schema, 'id', x.id)
      from (
        select gen_random_uuid() as id, r -> 'new' as new_row, r -> 'old' as old_row, ord
        from jsonb_array_elements(v_rows) with ordinality e (r, ord)
      ) x
      order by x.ord;
    elsif v_orgs is not null then
      insert into realtime.messages (id, topic, extension, event, private, payload)
      select s.id, 'org:' || s.org_id, 'broadcast', 'bulk_change', true,
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
comment on function private.tg_broadcast_org() is
  'Publishes a statement''s changes to a table all staff may read (units) on org:<org_id>: per row up to 50 rows, else one bulk_change per org.';
revoke execute on function private.tg_broadcast_org() from public;

drop trigger units_after_change_broadcast on public.units;
create trigger units_after_insert_broadcast after insert on public.units
  referencing new table as new_rows for each statement execute function private.tg_broadcast_org();
create trigger units_after_update_broadcast after update on public.units
  referencing old table as old_rows new table as new_rows for each statement execute function private.tg_broadcast_org();
create trigger units_after_delete_broadcast after delete on public.units
  referencing old table as old_rows for each statement execute function private.tg_broadcast_org();

create or replace function private.tg_audit_bulk_inserts() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  c record := private.audit_context();
begin
  if (select count(*) from (select 1 from new_rows limit 51) s) <= 50 then
    insert into public.audit_log (org_id, table_name, record_id, action, actor_user_id, actor_role, via, request_id, new_values)
    select (s.j ->> 'org_id')::uuid, tg_table_name, coalesce(s.j ->> 'id', (s.j ->> 'lease_id') || ':' || (s.j ->> 'resident_id')),
           'insert', c.actor_user_id, c.actor_role, c.via, c.request_id, s.j
    from (select to_jsonb(n) as j from new_rows n) s;
  else
    insert into public.audit_log (org_id, table_name, record_id, action, actor_user_id, actor_role, via, request_id, new_values)
    select n.org_id, tg_table_name, 'bulk:' || pg_catalog.pg_current_xact_id(), 'insert', c.actor_user_id, c.actor_role,
           c.via, c.request_id, jsonb_build_object('bulk', true, 'entries', count(*), 'created_at', now())
    from new_rows n
    group by n.org_id;
  end if;
  return null;
end;
$$;
comment on function private.tg_audit_bulk_inserts() is
  'Statement-level audit of inserts (leases, lease_residents): a row per record for up to 50, else one summary per org '
  '(record_id bulk:<xact>; the records are those of that org with the same created_at).';
revoke execute on function private.tg_audit_bulk_inserts() from public;

drop trigger leases_after_insert_delete_audit on public.leases;
create trigger leases_after_insert_audit after insert on public.leases
  referencing new table as new_rows for each statement execute function private.tg_audit_bulk_inserts();
create trigger leases_after_delete_audit after delete on public.leases
  for each row execute function private.tg_audit_row();

drop trigger lease_residents_after_change_audit on public.lease_residents;
create trigger lease_residents_after_insert_audit after insert on public.lease_residents
  referencing new table as new_rows for each statement execute function private.tg_audit_bulk_inserts();
create trigger lease_residents_after_update_delete_audit after update or delete on public.lease_residents
  for each row execute function private.tg_audit_row();
