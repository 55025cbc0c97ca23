-- Money changes reach Realtime per statement. Measured on 103k active leases
-- (tests/load/rls.bench.ts): per-row broadcast triggers on the ledger and leases cost 28 of the
-- rent run's 38 s, because realtime.send opens a subtransaction for every message and a run
-- sends four messages per lease.
--
-- Now one statement-level trigger per table and operation reads the transition table:
--   * up to 50 rows: one message per row and topic, shaped exactly as realtime.broadcast_changes
--     shapes it (event = operation; {record, old_record, operation, table, schema}), written in a
--     single insert into realtime.messages;
--   * more rows (a rent run, a bulk import): one `bulk_change` message per org on
--     org:<org>:finance ({operation, table, schema, count}), telling dashboards to refetch.
--     Residents get no per-row messages for bulk statements; their portal loads its ledger
--     when opened, and their own payments are single-row statements, which stay live.

create function private.tg_broadcast_finance() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count bigint;
  -- [{"new": row, "old": row}] for a small statement, {org_id: count} for a bulk one
  v_rows jsonb;
  v_orgs jsonb;
begin
  -- A transition table exists only for the trigger's own operation, so each branch names its own.
  if tg_op = 'INSERT' then
    select count(*) into v_count from new_rows;
    if v_count between 1 and 50 then
      select jsonb_agg(jsonb_build_object('new', to_jsonb(n), 'old', null)) into v_rows from new_rows n;
    elsif v_count > 50 then
      select jsonb_object_agg(s.org_id, s.n) into v_orgs from (select org_id, count(*) as n from new_rows group by org_id) s;
    end if;
  elsif tg_op = 'UPDATE' then
    select count(*) into v_count from new_rows;
    if v_count between 1 and 50 then
      select jsonb_agg(jsonb_build_object('new', to_jsonb(n), 'old', to_jsonb(o)))
      into v_rows from new_rows n join old_rows o on o.id = n.id;
    elsif v_count > 50 then
      select jsonb_object_agg(s.org_id, s.n) into v_orgs from (select org_id, count(*) as n from new_rows group by org_id) s;
    end if;
  else
    select count(*) into v_count from old_rows;
    if v_count between 1 and 50 then
      select jsonb_agg(jsonb_build_object('new', null, 'old', to_jsonb(o))) into v_rows from old_rows o;
    elsif v_count > 50 then
      select jsonb_object_agg(s.org_id, s.n) into v_orgs from (select org_id, count(*) as n from old_rows group by org_id) s;
    end if;
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
          select nullif(r -> 'new', 'null') as new_row, nullif(r -> 'old', 'null') as old_row,
                 coalesce(nullif(r -> 'new', 'null'), r -> 'old') as row_data, ord
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

drop trigger ledger_entries_after_insert_broadcast on public.ledger_entries;
create trigger ledger_entries_after_insert_broadcast after insert on public.ledger_entries
  referencing new table as new_rows for each statement execute function private.tg_broadcast_finance();

drop trigger leases_after_change_broadcast on public.leases;
create trigger leases_after_insert_broadcast after insert on public.leases
  referencing new table as new_rows for each statement execute function private.tg_broadcast_finance();
create trigger leases_after_update_broadcast after update on public.leases
  referencing old table as old_rows new table as new_rows for each statement execute function private.tg_broadcast_finance();
create trigger leases_after_delete_broadcast after delete on public.leases
  referencing old table as old_rows for each statement execute function private.tg_broadcast_finance();

drop trigger payments_after_change_broadcast on public.payments;
create trigger payments_after_insert_broadcast after insert on public.payments
  referencing new table as new_rows for each statement execute function private.tg_broadcast_finance();
create trigger payments_after_update_broadcast after update on public.payments
  referencing old table as old_rows new table as new_rows for each statement execute function private.tg_broadcast_finance();
create trigger payments_after_delete_broadcast after delete on public.payments
  referencing old table as old_rows for each statement execute function private.tg_broadcast_finance();
